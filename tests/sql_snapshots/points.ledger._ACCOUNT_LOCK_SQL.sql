SELECT id, balance FROM points_account WHERE key = %s FOR NO KEY UPDATE
