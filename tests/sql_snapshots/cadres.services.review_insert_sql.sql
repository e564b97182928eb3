WITH guard AS (
    SELECT EXISTS (SELECT 1 FROM "accounts_user" WHERE id = %s AND is_active) AS active,
           (EXISTS (SELECT 1 FROM "cadres_unitmembership" WHERE user_id = %s AND unit_id = %s)
            OR EXISTS (SELECT 1 FROM "cadres_cadre" WHERE user_id = %s AND unit_id = %s))
               AS colleague,
           EXISTS (SELECT 1 FROM "accounts_user" WHERE id = %s AND phone_verified_at IS NOT NULL)
               AS verified
),
ins AS (
    INSERT INTO "cadres_review" ("cadre_id", "reviewer_id", "rating", "tags", "comment", "created_at", "local_date", "points_awarded", "assisted", "response_message", "responded_at", "responder_id", "verdict_accepted", "verdict_at", "overdue_at", "excluded_reason", "excluded_at", "verified", "device_hash", "address_hash")
    SELECT %s, %s, %s, %s, %s, %s, %s, CASE WHEN guard.verified THEN %s ELSE %s END, %s, %s, %s, %s, %s, %s, %s, CASE WHEN guard.verified THEN %s ELSE %s END, CASE WHEN guard.verified THEN %s ELSE %s END, %s, %s, %s
    FROM guard WHERE guard.active AND NOT guard.colleague
    ON CONFLICT ("reviewer_id", "cadre_id", "local_date") DO NOTHING
    RETURNING "id",
    (SELECT CASE WHEN EXISTS (
        SELECT 1 FROM "accounts_user" me
        WHERE me.id = %s AND me.date_joined >= %s AND me.date_joined < %s)
    THEN (SELECT count(*) FROM (
        SELECT 1 FROM "cadres_review" r JOIN "accounts_user" u ON u.id = r.reviewer_id
        WHERE r.cadre_id = %s AND r.created_at >= %s AND u.date_joined >= %s
              AND r.reviewer_id <> %s
        ORDER BY r.created_at DESC LIMIT %s) burst) END),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM "cadres_review"
        WHERE device_hash = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) device WHERE cadre_id <> %s),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM "cadres_review"
        WHERE address_hash = %s AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) address WHERE cadre_id <> %s),
    (SELECT count(DISTINCT cadre_id) FROM (
        SELECT cadre_id FROM "cadres_review"
        WHERE reviewer_id = %s AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) account WHERE cadre_id <> %s),
    (SELECT count(DISTINCT device_hash) FROM (
        SELECT device_hash FROM "cadres_review"
        WHERE reviewer_id = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) account_devices WHERE device_hash <> %s),
    (SELECT count(DISTINCT device_hash) FROM (
        SELECT device_hash FROM "cadres_review"
        WHERE address_hash = %s AND device_hash <> '' AND created_at >= %s
        ORDER BY created_at DESC LIMIT %s) address_devices WHERE device_hash <> %s)
),
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
SELECT guard.active, guard.colleague, guard.verified, account_locked.id, account_locked.balance,
       ins.*
FROM guard LEFT JOIN ins ON true LEFT JOIN account_locked ON true
