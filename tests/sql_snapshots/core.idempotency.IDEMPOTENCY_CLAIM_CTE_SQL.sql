claimed AS (
    INSERT INTO "core_idempotencyrecord" (user_id, key, fingerprint, state, created_at, updated_at)
    SELECT u.id, %(claim_key)s, %(claim_fingerprint)s, 'in_progress', %(claim_now)s,
           %(claim_now)s
    FROM "accounts_user" u WHERE u.id = %(claim_user)s AND u.is_active
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id
)
