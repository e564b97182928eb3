INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, reason, created_at)
SELECT txn.id, m.id, l.amount, m.balance, %(reason)s, %(now)s
FROM txn, moved m JOIN lines l ON l.n = m.n
ORDER BY m.n
RETURNING transaction_id, account_id, balance_after
