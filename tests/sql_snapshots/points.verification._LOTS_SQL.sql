SELECT a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0), s.lots
FROM points_account a
LEFT JOIN (SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots
           FROM points_lot GROUP BY account_id) s ON s.account_id = a.id
WHERE (a.kind = 'resident' AND a.currency = 'redeemable' AND a.balance <> COALESCE(s.total, 0))
   OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND s.lots > 0)
