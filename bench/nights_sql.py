"""The hand-written SQL statements bench/nights.py measures each night job against (one
statement per job, computing the same result)."""

# Every check verify_ledger makes (balances against their entries and their last entry,
# transactions of two or more entries summing to zero in one currency, no negative
# balance, lots against balances): the entries counted and the problems.
VERIFY_SQL = """
WITH sums AS (
    SELECT account_id, sum(amount) AS total, count(*) AS n, max(id) AS last_id
    FROM points_entry GROUP BY account_id
), txn AS (
    SELECT e.transaction_id FROM points_entry e JOIN points_account a ON a.id = e.account_id
    GROUP BY e.transaction_id
    HAVING sum(e.amount) <> 0 OR count(*) < 2 OR min(a.currency) <> max(a.currency)
), lots AS (
    SELECT account_id, sum(remaining) AS held FROM points_lot GROUP BY account_id
)
SELECT
    (SELECT coalesce(sum(n), 0) FROM sums),
    (SELECT count(*) FROM points_account a LEFT JOIN sums s ON s.account_id = a.id
      WHERE a.balance <> coalesce(s.total, 0))
    + (SELECT count(*) FROM sums s JOIN points_entry e ON e.id = s.last_id
       JOIN points_account a ON a.id = s.account_id WHERE e.balance_after <> a.balance)
    + (SELECT count(*) FROM txn)
    + (SELECT count(*) FROM points_ledgertransaction t
       WHERE NOT EXISTS (SELECT 1 FROM points_entry e WHERE e.transaction_id = t.id))
    + (SELECT count(*) FROM points_account a
        WHERE a.balance < 0 AND a.kind NOT IN ('issuance', 'adjustment'))
    + (SELECT count(*) FROM points_account a LEFT JOIN lots l ON l.account_id = a.id
        WHERE (a.kind = 'resident' AND a.currency = 'redeemable'
               AND a.balance <> coalesce(l.held, 0))
           OR (NOT (a.kind = 'resident' AND a.currency = 'redeemable') AND l.held IS NOT NULL))
"""

STATEMENTS_SQL = """
SELECT m.id,
       coalesce(sum(e.amount) FILTER (WHERE e.reason = 'payment'), 0),
       -coalesce(sum(e.amount) FILTER (WHERE e.reason = 'payment_refund'), 0),
       coalesce(sum(e.amount) FILTER (WHERE e.reason IN ('redemption', 'redemption_confirm',
                                                         'redemption_refund')), 0),
       coalesce(sum(e.amount), 0),
       count(e.id)
FROM points_merchant m
LEFT JOIN points_entry e ON e.account_id = m.account_id AND e.created_at < %s
GROUP BY m.id ORDER BY m.id
"""

# The same statements written, lines and totals, in one statement (rolled back): what
# statements_build_month stores, as one hand-written statement of writable CTEs.
STATEMENTS_WRITE_SQL = """
WITH lines AS MATERIALIZED (
    SELECT m.id AS merchant_id, e.id AS entry_id, e.amount, e.reason
    FROM points_merchant m JOIN points_entry e ON e.account_id = m.account_id
    WHERE e.created_at < %(end)s
), st AS (
    INSERT INTO merchants_statement (merchant_id, month, status, payments_points,
        refunds_points, vouchers_points, other_points, points, entries_count, built_at,
        payment_reference)
    SELECT m.id, %(month)s, 'open',
           coalesce(sum(l.amount) FILTER (WHERE l.reason = 'payment'), 0),
           -coalesce(sum(l.amount) FILTER (WHERE l.reason = 'payment_refund'), 0),
           coalesce(sum(l.amount) FILTER (WHERE l.reason IN ('redemption', 'redemption_confirm',
                                                             'redemption_refund')), 0),
           coalesce(sum(l.amount) FILTER (WHERE l.reason NOT IN ('payment', 'payment_refund',
               'redemption', 'redemption_confirm', 'redemption_refund')), 0),
           coalesce(sum(l.amount), 0), count(l.entry_id), now(), ''
    FROM points_merchant m LEFT JOIN lines l ON l.merchant_id = m.id
    GROUP BY m.id
    RETURNING id, merchant_id, payments_points, refunds_points, vouchers_points, points,
              entries_count
), ins AS (
    INSERT INTO merchants_statemententry (statement_id, entry_id)
    SELECT st.id, l.entry_id FROM lines l JOIN st ON st.merchant_id = l.merchant_id
    RETURNING 1
)
SELECT merchant_id, payments_points, refunds_points, vouchers_points, points, entries_count
FROM st WHERE (SELECT count(*) FROM ins) >= 0 ORDER BY merchant_id
"""

# The account rule (moderation/fraud.py _same_source_flags): every review of a reviewer
# in a window of FRAUD_ACCOUNT_MINUTES ending at one of its reviews, where it reviewed
# FRAUD_ACCOUNT_CADRES different cadres or more.
FRAUD_SQL = """
WITH r AS MATERIALIZED (
    SELECT id, reviewer_id, cadre_id, created_at FROM cadres_review
    WHERE created_at >= %(start)s AND created_at < %(end)s AND excluded_reason = ''
), anchors AS (
    SELECT a.reviewer_id, a.created_at FROM r a JOIN r w ON w.reviewer_id = a.reviewer_id
        AND w.created_at <= a.created_at AND w.created_at > a.created_at - %(span)s
    GROUP BY a.id, a.reviewer_id, a.created_at
    HAVING count(DISTINCT w.cadre_id) >= %(threshold)s
)
SELECT DISTINCT w.id FROM anchors a JOIN r w ON w.reviewer_id = a.reviewer_id
    AND w.created_at <= a.created_at AND w.created_at > a.created_at - %(span)s
ORDER BY w.id
"""

# Every due lot expired in one statement: a transaction, two entries, the balances and
# the lot, as points_expire posts them (run in a transaction that is rolled back).
EXPIRY_SQL = """
WITH due AS (
    SELECT l.id, l.account_id, l.remaining, a.balance,
           sum(l.remaining) OVER (ORDER BY l.id) AS running
    FROM points_lot l JOIN points_account a ON a.id = l.account_id
    WHERE l.remaining > 0 AND l.expires_on < %(today)s
), txn AS (
    INSERT INTO points_ledgertransaction (reason, reference, memo, created_at)
    SELECT 'expiry', 'lot:' || id, '', now() FROM due RETURNING id, reference
), ent AS (
    INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, reason,
                              created_at)
    SELECT txn.id, d.account_id, -d.remaining, d.balance - d.remaining, 'expiry', now()
    FROM txn JOIN due d ON txn.reference = 'lot:' || d.id
    UNION ALL
    SELECT txn.id, %(expiry)s, d.remaining, %(expiry_balance)s + d.running, 'expiry', now()
    FROM txn JOIN due d ON txn.reference = 'lot:' || d.id
    RETURNING 1
), acc AS (
    UPDATE points_account a SET balance = a.balance - d.remaining FROM due d
    WHERE a.id = d.account_id RETURNING 1
), lot AS (
    UPDATE points_lot l SET remaining = 0 FROM due d WHERE l.id = d.id RETURNING 1
), exp AS (
    UPDATE points_account SET balance = balance + (SELECT coalesce(sum(remaining), 0) FROM due)
    WHERE id = %(expiry)s RETURNING balance
)
SELECT (SELECT count(*) FROM due), (SELECT coalesce(sum(remaining), 0) FROM due),
       (SELECT balance FROM exp), (SELECT count(*) FROM ent), (SELECT count(*) FROM acc),
       (SELECT count(*) FROM lot)
"""
