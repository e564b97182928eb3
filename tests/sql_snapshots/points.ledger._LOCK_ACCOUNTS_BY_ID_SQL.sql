SELECT id FROM points_account WHERE id = ANY(%s::bigint[])
ORDER BY id
FOR NO KEY UPDATE
