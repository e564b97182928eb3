WITH per_account AS (
    SELECT account_id, SUM(amount) AS total, COUNT(*) AS entries, MAX(id) AS last_id
    FROM points_entry GROUP BY account_id
),
accounts AS MATERIALIZED (
    SELECT a.id, a.key, a.kind, a.currency, a.balance, COALESCE(s.total, 0) AS total,
           COALESCE(s.entries, 0) AS entries, last.balance_after AS last_after
    FROM points_account a
    LEFT JOIN per_account s ON s.account_id = a.id
    LEFT JOIN points_entry last ON last.id = s.last_id
),
per_txn AS (
    SELECT e.transaction_id, SUM(e.amount) AS total, COUNT(*) AS entries,
           MIN(a.currency) <> MAX(a.currency) AS currencies
    FROM points_entry e JOIN points_account a ON a.id = e.account_id
    GROUP BY e.transaction_id
),
per_lot_account AS (
    SELECT account_id, SUM(remaining) AS total, COUNT(*) AS lots FROM points_lot GROUP BY account_id
),
problems (kind, id, key, word, a, b, c, flag) AS (
    SELECT 1, id, key, '', balance, total, 0::bigint, false FROM accounts WHERE balance <> total
    UNION ALL
    SELECT 2, id, key, '', balance, last_after, 0, false FROM accounts
    WHERE last_after IS NOT NULL AND last_after <> balance
    UNION ALL
    SELECT 3, t.id, '', t.reason, COALESCE(p.total, 0), COALESCE(p.entries, 0), 0,
           COALESCE(p.currencies, false)
    FROM points_ledgertransaction t LEFT JOIN per_txn p ON p.transaction_id = t.id
    WHERE p.transaction_id IS NULL OR p.total <> 0 OR p.entries < 2 OR p.currencies
    UNION ALL
    SELECT 4, id, key, '', balance, 0, 0, false FROM accounts
    WHERE balance < 0 AND kind NOT IN ('issuance', 'adjustment')
    UNION ALL
    SELECT 5, a.id, a.key, a.kind || ' ' || a.currency, a.balance, COALESCE(l.total, 0),
           l.lots, a.kind = 'resident' AND a.currency = 'redeemable'
    FROM accounts a LEFT JOIN per_lot_account l ON l.account_id = a.id
    WHERE (a.kind = 'resident' AND a.currency = 'redeemable' AND a.balance <> COALESCE(l.total, 0))
       OR ((a.kind <> 'resident' OR a.currency <> 'redeemable') AND l.lots > 0)
)
(SELECT 0, 0::bigint, '', '', (SELECT COUNT(*) FROM accounts),
        (SELECT COUNT(*) FROM points_ledgertransaction), (SELECT COALESCE(SUM(entries), 0) FROM accounts), false)
UNION ALL
(SELECT * FROM problems ORDER BY kind, id LIMIT %s)
ORDER BY 1, 2
