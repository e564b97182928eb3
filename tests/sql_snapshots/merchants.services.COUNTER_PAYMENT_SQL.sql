WITH claimed AS (
    INSERT INTO "core_idempotencyrecord" (user_id, key, fingerprint, state, created_at, updated_at)
    SELECT u.id, %(claim_key)s, %(claim_fingerprint)s, 'in_progress', %(claim_now)s,
           %(claim_now)s
    FROM "accounts_user" u WHERE u.id = %(claim_user)s AND u.is_active
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id
),
merchant AS (
    SELECT m.id, m.name, m.account_id, COALESCE(c.code_version, 1) AS version
    FROM "points_merchant" m LEFT JOIN "merchants_merchantcode" c ON c.merchant_id = m.id
    WHERE m.id = %(merchant)s
),
locked AS MATERIALIZED (
    SELECT a.id, a.key, a.balance FROM "points_account" a
    WHERE EXISTS (SELECT 1 FROM claimed)
      AND EXISTS (SELECT 1 FROM merchant WHERE version = %(version)s)
      AND (a.key = %(resident_key)s OR a.id = (SELECT account_id FROM merchant))
    ORDER BY a.id
    FOR NO KEY UPDATE OF a
),
payment AS (
    INSERT INTO "merchants_payment" (merchant_id, resident_id, amount_points, refunded_points, created_at)
    SELECT merchant.id, %(resident)s, %(amount)s, 0, %(now)s FROM merchant
    WHERE (SELECT balance FROM locked WHERE key = %(resident_key)s) >= %(amount)s
    RETURNING id
)
SELECT (SELECT id FROM claimed), (SELECT u.is_active FROM "accounts_user" u WHERE u.id = %(claim_user)s), merchant.id,
       merchant.name, merchant.account_id, merchant.version,
       (SELECT id FROM locked WHERE key = %(resident_key)s),
       (SELECT balance FROM locked WHERE key = %(resident_key)s), (SELECT id FROM payment)
FROM (SELECT 1) one LEFT JOIN merchant ON true
