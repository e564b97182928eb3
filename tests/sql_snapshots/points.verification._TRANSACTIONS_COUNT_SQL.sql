SELECT COUNT(*) FROM points_ledgertransaction
