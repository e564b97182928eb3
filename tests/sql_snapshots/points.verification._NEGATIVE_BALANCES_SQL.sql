SELECT key, balance FROM points_account
WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')
