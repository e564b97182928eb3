SELECT a.key, a.balance, COALESCE(s.total, 0), s.entries,
       (SELECT e.balance_after FROM points_entry e WHERE e.account_id = a.id
        ORDER BY e.id DESC LIMIT 1)
FROM points_account a
LEFT JOIN (SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries
           FROM points_entry GROUP BY account_id) s ON s.account_id = a.id
