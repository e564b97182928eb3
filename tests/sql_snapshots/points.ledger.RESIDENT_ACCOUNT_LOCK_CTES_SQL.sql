account_new AS (
    INSERT INTO points_account (key, kind, currency, owner_id, balance, created_at)
    SELECT %s, %s, %s, %s, 0, %s WHERE EXISTS (SELECT 1 FROM ins)
    ON CONFLICT DO NOTHING
    RETURNING id, balance
),
account_locked AS (
    SELECT id, balance FROM account_new
    UNION ALL
    SELECT * FROM (
        SELECT id, balance FROM points_account WHERE key = %s AND EXISTS (SELECT 1 FROM ins)
        FOR NO KEY UPDATE
    ) existing
)
