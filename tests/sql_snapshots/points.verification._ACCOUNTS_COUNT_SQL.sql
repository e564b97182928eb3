SELECT COUNT(*) FROM points_account
