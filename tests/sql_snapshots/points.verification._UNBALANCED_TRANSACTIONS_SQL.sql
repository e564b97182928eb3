SELECT t.id, t.reason, COALESCE(SUM(e.amount), 0), COUNT(e.id), COUNT(DISTINCT a.currency)
FROM points_ledgertransaction t
LEFT JOIN points_entry e ON e.transaction_id = t.id
LEFT JOIN points_account a ON a.id = e.account_id
GROUP BY t.id, t.reason
HAVING COALESCE(SUM(e.amount), 0) <> 0 OR COUNT(e.id) < 2 OR COUNT(DISTINCT a.currency) > 1
