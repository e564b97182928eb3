WITH due AS MATERIALIZED (
    SELECT l.id, l.account_id, a.key, l.remaining, l.month, l.expires_on, a.balance,
           SUM(l.remaining) OVER (PARTITION BY l.account_id
                                  ORDER BY l.expires_on, l.month, l.id) AS taken
    FROM points_lot l JOIN points_account a ON a.id = l.account_id
    LEFT JOIN LATERAL (
        SELECT 1 AS found FROM points_ledgertransaction t WHERE t.reason = %(reason)s
            AND t.reference = 'lot:' || l.id AND t.reference <> '' LIMIT 1
    ) posted ON true
    WHERE l.account_id = ANY(%(ids)s) AND a.id = ANY(%(ids)s) AND l.remaining > 0
      AND l.expires_on < %(today)s AND posted.found IS NULL
),
ok AS MATERIALIZED (
    SELECT d.*, SUM(d.remaining) OVER (ORDER BY d.account_id, d.taken) AS running,
           nextval((SELECT pg_get_serial_sequence('points_ledgertransaction', 'id'))::regclass) AS txn_id
    FROM due d WHERE d.taken <= d.balance
),
failed AS (
    SELECT DISTINCT ON (account_id) id, key FROM due WHERE taken > balance
    ORDER BY account_id, taken
),
txn AS (
    INSERT INTO points_ledgertransaction (id, reason, reference, memo, created_by_id, created_at)
    SELECT txn_id, %(reason)s, 'lot:' || id,
           to_char(month, 'YYYY-MM') || ', last day ' || to_char(expires_on, 'YYYY-MM-DD'),
           NULL, %(now)s
    FROM ok ORDER BY account_id, taken
    RETURNING id, reference
),
expired AS (
    UPDATE points_account SET balance = balance + (SELECT COALESCE(SUM(remaining), 0) FROM ok)
    WHERE id = %(expiry)s
    RETURNING balance - (SELECT COALESCE(SUM(remaining), 0) FROM ok) AS before
),
taken_from AS (
    UPDATE points_account a SET balance = a.balance - s.total
    FROM (SELECT account_id, SUM(remaining) AS total FROM ok GROUP BY account_id) s
    WHERE a.id = s.account_id
    RETURNING a.id
),
emptied AS (
    UPDATE points_lot l SET remaining = 0 FROM ok
    WHERE l.id = ok.id AND l.account_id = ANY(%(ids)s) RETURNING l.id
),
entries AS (
    INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, reason, created_at)
    SELECT ok.txn_id, x.account_id, x.amount, x.balance_after, %(reason)s, %(now)s
    FROM ok CROSS JOIN expired
    CROSS JOIN LATERAL (VALUES
        (ok.account_id, -ok.remaining, ok.balance - ok.taken),
        (%(expiry)s::bigint, ok.remaining, expired.before + ok.running)
    ) x (account_id, amount, balance_after)
    ORDER BY ok.txn_id, x.account_id
    RETURNING 1
)
SELECT (SELECT COUNT(*) FROM txn), (SELECT COALESCE(SUM(remaining), 0) FROM ok)::bigint,
       (SELECT COUNT(*) FROM entries), NULL::bigint, ''
UNION ALL
SELECT NULL, NULL, NULL, id, key FROM failed
