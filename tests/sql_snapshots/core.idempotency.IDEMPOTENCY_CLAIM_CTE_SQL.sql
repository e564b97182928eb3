claimed AS (
    INSERT INTO "core_idempotencyrecord" (user_id, key, fingerprint, state, created_at, updated_at)
    VALUES (%(claim_user)s, %(claim_key)s, %(claim_fingerprint)s, 'in_progress',
            %(claim_now)s, %(claim_now)s)
    ON CONFLICT (user_id, key) DO NOTHING
    RETURNING id
)
