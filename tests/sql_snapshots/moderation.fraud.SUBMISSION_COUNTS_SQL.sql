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
