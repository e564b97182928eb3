SELECT a.id FROM points_account a
JOIN unnest(%s::bigint[]) WITH ORDINALITY u(id, n) ON u.id = a.id
ORDER BY u.n
FOR NO KEY UPDATE OF a
