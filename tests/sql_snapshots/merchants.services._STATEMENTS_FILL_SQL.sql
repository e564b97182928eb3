WITH open AS MATERIALIZED (
    SELECT s.id, m.account_id FROM "merchants_statement" s JOIN "points_merchant" m ON m.id = s.merchant_id
    WHERE s.month = %(month)s AND s.status = 'open'
),
fresh AS MATERIALIZED (
    SELECT o.id AS statement_id, e.id AS entry_id, e.amount, e.reason
    FROM open o JOIN "points_entry" e ON e.account_id = o.account_id
    WHERE e.created_at < %(end)s
      AND NOT EXISTS (SELECT 1 FROM "merchants_statemententry" l WHERE l.entry_id = e.id)
),
added AS (
    INSERT INTO "merchants_statemententry" (statement_id, entry_id)
    SELECT statement_id, entry_id FROM fresh
),
lines AS (
    SELECT statement_id, amount, reason FROM fresh
    UNION ALL
    SELECT l.statement_id, e.amount, e.reason
    FROM "merchants_statemententry" l JOIN open o ON o.id = l.statement_id
    JOIN "points_entry" e ON e.id = l.entry_id
),
totals AS (
    SELECT statement_id,
           COALESCE(SUM(amount) FILTER (WHERE reason = %(payment)s), 0) AS payments,
           -COALESCE(SUM(amount) FILTER (WHERE reason = %(refund)s), 0) AS refunds,
           COALESCE(SUM(amount) FILTER (WHERE reason = ANY(%(vouchers)s)), 0) AS vouchers,
           SUM(amount) AS points, COUNT(*) AS entries
    FROM lines
    GROUP BY statement_id
)
UPDATE "merchants_statement" s SET
    payments_points = COALESCE(t.payments, 0),
    refunds_points = COALESCE(t.refunds, 0),
    vouchers_points = COALESCE(t.vouchers, 0),
    points = COALESCE(t.points, 0),
    other_points = COALESCE(t.points - t.payments + t.refunds - t.vouchers, 0),
    entries_count = COALESCE(t.entries, 0),
    built_at = %(now)s
FROM open o LEFT JOIN totals t ON t.statement_id = o.id
WHERE s.id = o.id
