WITH pool AS MATERIALIZED (
    SELECT balance FROM points_account WHERE id = %(pool)s AND balance >= %(amount)s
    FOR NO KEY UPDATE
),
resident AS MATERIALIZED (
    SELECT id FROM accounts_user WHERE id = %(resident)s AND is_active
),
claim AS (
    INSERT INTO points_campaignclaim (campaign_id, resident_id, amount, created_at)
    SELECT %(campaign)s, resident.id, %(amount)s, %(now)s FROM resident, pool
    ON CONFLICT (campaign_id, resident_id) DO NOTHING
    RETURNING id
)
SELECT (SELECT balance FROM pool), (SELECT id FROM claim), EXISTS (SELECT 1 FROM resident)
