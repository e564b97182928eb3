INSERT INTO "merchants_statement" (merchant_id, month, status, payments_points, refunds_points,
    vouchers_points, other_points, points, entries_count, built_at, payment_reference)
SELECT id, %(month)s, 'open', 0, 0, 0, 0, 0, 0, %(now)s, '' FROM "points_merchant" ORDER BY id
ON CONFLICT (merchant_id, month) DO NOTHING
