WITH txn AS (
    INSERT INTO points_ledgertransaction (reason, reference, memo, created_by_id, created_at)
    VALUES (%(reason)s, %(reference)s, %(memo)s, %(created_by)s, %(now)s)
    RETURNING id
),
lines (n, id, key, kind, currency, owner_id, amount) AS (
    SELECT * FROM unnest(
        %(n)s::int[], %(ids)s::bigint[], %(keys)s::varchar[], %(kinds)s::varchar[],
        %(currencies)s::varchar[], %(owners)s::bigint[], %(amounts)s::bigint[]
    ) LIMIT %(count)s
),
created AS (
    INSERT INTO points_account (key, kind, currency, owner_id, balance, created_at)
    SELECT key, kind, currency, owner_id, amount, %(now)s FROM lines
    WHERE id IS NULL ORDER BY n
    ON CONFLICT (key) DO UPDATE SET balance = points_account.balance + excluded.balance
    RETURNING id, key, balance, kind, currency
),
locked AS MATERIALIZED (
    SELECT a.id FROM points_account a JOIN lines l ON l.id = a.id
    WHERE (SELECT count(*) FROM created) >= 0
    ORDER BY l.n
    FOR NO KEY UPDATE OF a
),
updated AS (
    UPDATE points_account a SET balance = a.balance + l.amount
    FROM lines l, locked k
    WHERE a.id = l.id AND k.id = a.id
    RETURNING l.n, a.id, a.balance, a.kind, a.currency
),
moved AS (
    SELECT n, id, balance, kind, currency FROM updated
    UNION ALL
    SELECT l.n, c.id, c.balance, c.kind, c.currency
    FROM created c JOIN lines l ON l.key = c.key AND l.id IS NULL
),
lot_credit AS (
    INSERT INTO points_lot (account_id, month, expires_on, remaining)
    SELECT m.id, %(month)s, %(expires_on)s, l.amount FROM moved m JOIN lines l ON l.n = m.n
    WHERE l.amount > 0 AND m.kind = 'resident' AND m.currency = 'redeemable'
    ON CONFLICT (account_id, month) DO UPDATE SET remaining = points_lot.remaining + excluded.remaining
),
lot_debit AS (
    UPDATE points_lot t SET remaining = t.remaining - LEAST(t.remaining, d.need - d.before)
    FROM (
        SELECT o.id, -l.amount AS need, COALESCE(SUM(o.remaining) OVER (
            PARTITION BY o.account_id ORDER BY o.expires_on, o.month
            ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), 0) AS before
        FROM moved m JOIN lines l ON l.n = m.n JOIN points_lot o ON o.account_id = m.id
        WHERE l.amount < 0 AND m.kind = 'resident' AND m.currency = 'redeemable'
              AND o.remaining > 0
    ) d
    WHERE t.id = d.id AND d.before < d.need
),
noticed AS (
    INSERT INTO "notifications_notification" ("user_id", "kind", "event_key", "params", "link", "created_at", "read_at", "sms_status", "sms_not_before", "sms_queued_at", "sms_attempts", "sms_claimed_at", "sms_sent_at", "sms_error", "sms_provider", "sms_message_id", "sms_provider_code", "sms_receipt_at", "sms_requeued_at")
    SELECT u.id, %(notice_1)s, %(notice_2)s, %(notice_3)s, %(notice_4)s, %(notice_5)s, %(notice_6)s, %(notice_7)s, %(notice_8)s, %(notice_9)s, %(notice_10)s, %(notice_11)s, %(notice_12)s, %(notice_13)s, %(notice_14)s, %(notice_15)s, %(notice_16)s, %(notice_17)s, %(notice_18)s
    FROM (SELECT "user_id" FROM "points_merchant_users" WHERE "merchant_id" = %(notice_merchant)s) AS u (id)
    ON CONFLICT ("user_id", "event_key") DO NOTHING
)
INSERT INTO points_entry (transaction_id, account_id, amount, balance_after, reason, created_at)
SELECT txn.id, m.id, l.amount, m.balance, %(reason)s, %(now)s
FROM txn, moved m JOIN lines l ON l.n = m.n
ORDER BY m.n
RETURNING transaction_id, account_id, balance_after
