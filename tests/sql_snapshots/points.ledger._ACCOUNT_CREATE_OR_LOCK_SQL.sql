WITH created AS (
    INSERT INTO points_account (key, kind, currency, owner_id, balance, created_at)
    VALUES (%s, %s, %s, %s, 0, %s)
    ON CONFLICT DO NOTHING
    RETURNING id, balance
)
SELECT id, balance FROM created
UNION ALL
SELECT * FROM (SELECT id, balance FROM points_account WHERE key = %s FOR NO KEY UPDATE) existing
