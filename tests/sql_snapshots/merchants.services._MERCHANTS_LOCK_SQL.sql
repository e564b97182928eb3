SELECT id FROM "points_merchant" ORDER BY id FOR UPDATE
