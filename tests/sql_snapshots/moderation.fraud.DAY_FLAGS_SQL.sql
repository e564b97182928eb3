WITH r AS MATERIALIZED (
    SELECT v.id, v.cadre_id, c.unit_id, v.reviewer_id, v.rating, v.created_at, v.local_date,
           (u.date_joined AT TIME ZONE %(tz)s)::date AS joined,
           NULLIF(v.device_hash, '') AS device, NULLIF(v.address_hash, '') AS address
    FROM "cadres_review" v JOIN "cadres_cadre" c ON c.id = v.cadre_id JOIN "accounts_user" u ON u.id = v.reviewer_id
    WHERE v.created_at >= %(start)s AND v.created_at < %(end)s AND v.excluded_reason = ''
),
burst_anchors AS (
    SELECT a.id, a.cadre_id, a.created_at, COUNT(*) AS found
    FROM r a JOIN r w ON w.cadre_id = a.cadre_id AND w.created_at > a.created_at - %(burst_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) AND w.joined = w.local_date
    WHERE a.cadre_id IS NOT NULL AND a.joined = a.local_date
    GROUP BY a.id, a.cadre_id, a.created_at
    HAVING COUNT(*) >= %(burst_reviews)s
),
burst AS (
    SELECT w.id, MAX(a.found) AS n FROM burst_anchors a JOIN r w ON w.cadre_id = a.cadre_id AND w.created_at > a.created_at - %(burst_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) AND w.joined = w.local_date
    GROUP BY w.id
),
device_anchors AS (
    SELECT a.id, a.device, a.created_at, COUNT(DISTINCT w.cadre_id) AS found
    FROM r a JOIN r w ON w.device = a.device AND w.created_at > a.created_at - %(hour)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    WHERE a.device IS NOT NULL 
    GROUP BY a.id, a.device, a.created_at
    HAVING COUNT(DISTINCT w.cadre_id) >= %(device_cadres)s
),
device AS (
    SELECT w.id, MAX(a.found) AS n FROM device_anchors a JOIN r w ON w.device = a.device AND w.created_at > a.created_at - %(hour)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    GROUP BY w.id
),
account_devices_anchors AS (
    SELECT a.id, a.reviewer_id, a.created_at, COUNT(DISTINCT w.device) AS found
    FROM r a JOIN r w ON w.reviewer_id = a.reviewer_id AND w.created_at > a.created_at - %(devices_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    WHERE a.reviewer_id IS NOT NULL 
    GROUP BY a.id, a.reviewer_id, a.created_at
    HAVING COUNT(DISTINCT w.device) >= %(account_devices)s
),
account_devices AS (
    SELECT w.id, MAX(a.found) AS n FROM account_devices_anchors a JOIN r w ON w.reviewer_id = a.reviewer_id AND w.created_at > a.created_at - %(devices_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    GROUP BY w.id
),
account_anchors AS (
    SELECT a.id, a.reviewer_id, a.created_at, COUNT(DISTINCT w.cadre_id) AS found
    FROM r a JOIN r w ON w.reviewer_id = a.reviewer_id AND w.created_at > a.created_at - %(account_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    WHERE a.reviewer_id IS NOT NULL 
    GROUP BY a.id, a.reviewer_id, a.created_at
    HAVING COUNT(DISTINCT w.cadre_id) >= %(account_cadres)s
),
account AS (
    SELECT w.id, MAX(a.found) AS n FROM account_anchors a JOIN r w ON w.reviewer_id = a.reviewer_id AND w.created_at > a.created_at - %(account_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    GROUP BY w.id
),
address_devices_anchors AS (
    SELECT a.id, a.address, a.created_at, COUNT(DISTINCT w.device) AS found
    FROM r a JOIN r w ON w.address = a.address AND w.created_at > a.created_at - %(devices_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    WHERE a.address IS NOT NULL 
    GROUP BY a.id, a.address, a.created_at
    HAVING COUNT(DISTINCT w.device) >= %(address_devices)s
),
address_devices AS (
    SELECT w.id, MAX(a.found) AS n FROM address_devices_anchors a JOIN r w ON w.address = a.address AND w.created_at > a.created_at - %(devices_span)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    GROUP BY w.id
),
address_windows_anchors AS (
    SELECT a.id, a.address, a.created_at, COUNT(DISTINCT w.cadre_id) AS found
    FROM r a JOIN r w ON w.address = a.address AND w.created_at > a.created_at - %(hour)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    WHERE a.address IS NOT NULL 
    GROUP BY a.id, a.address, a.created_at
    HAVING COUNT(DISTINCT w.cadre_id) >= %(address_cadres)s
),
address_windows AS (
    SELECT w.id, MAX(a.found) AS n FROM address_windows_anchors a JOIN r w ON w.address = a.address AND w.created_at > a.created_at - %(hour)s
        AND (w.created_at, w.id) <= (a.created_at, a.id) 
    GROUP BY w.id
),
combined AS (
    SELECT id FROM burst UNION SELECT id FROM device UNION SELECT id FROM account_devices
),
address_hours AS (
    SELECT w.address, date_trunc('hour', w.created_at) AS hour,
           (array_agg(w.id ORDER BY w.created_at, w.id))[1] AS first,
           COUNT(*) AS reviews, MAX(a.n) AS cadres
    FROM address_windows a JOIN r w ON w.id = a.id
    WHERE w.joined = w.local_date OR w.id IN (SELECT id FROM combined)
    GROUP BY w.address, date_trunc('hour', w.created_at)
),
sweep_groups AS (
    SELECT b.reviewer_id, b.unit_id, active.n
    FROM r b
    JOIN "cadres_cadre" c ON c.id = b.cadre_id
    JOIN (SELECT unit_id, COUNT(*) AS n FROM "cadres_cadre" WHERE active GROUP BY unit_id
          HAVING COUNT(*) >= %(sweep_cadres)s) active ON active.unit_id = b.unit_id
    WHERE b.local_date = %(day)s AND b.rating <= 2
    GROUP BY b.reviewer_id, b.unit_id, active.n
    HAVING COUNT(DISTINCT b.cadre_id) FILTER (WHERE c.active) = active.n
),
sweep AS (
    SELECT b.id, g.n FROM r b JOIN sweep_groups g
        ON g.reviewer_id = b.reviewer_id AND g.unit_id = b.unit_id
    WHERE b.local_date = %(day)s AND b.rating <= 2
),
per_account AS (
    SELECT cadre_id, reviewer_id, COUNT(*) AS n FROM "cadres_review"
    WHERE local_date >= %(few_start)s AND local_date <= %(day)s AND excluded_reason = ''
    GROUP BY cadre_id, reviewer_id
),
ranked AS (
    SELECT cadre_id, reviewer_id, n, SUM(n) OVER (PARTITION BY cadre_id)::bigint AS total,
           row_number() OVER (PARTITION BY cadre_id ORDER BY n DESC, reviewer_id) AS place
    FROM per_account
),
leaders AS (
    SELECT cadre_id, MAX(total) AS total, COUNT(*) AS accounts, SUM(n)::bigint AS share
    FROM ranked WHERE place <= %(few_count)s GROUP BY cadre_id
    HAVING MAX(total) >= %(few_reviews)s AND SUM(n) * 100 >= %(few_share)s * MAX(total)
),
few AS (
    SELECT v.id, l.total, l.accounts, l.share * 100 / l.total AS percent
    FROM leaders l
    JOIN ranked k ON k.cadre_id = l.cadre_id AND k.place <= %(few_count)s
    JOIN "cadres_review" v ON v.cadre_id = k.cadre_id AND v.reviewer_id = k.reviewer_id
    WHERE v.local_date >= %(few_start)s AND v.local_date <= %(day)s AND v.excluded_reason = ''
),
per_review (review_id, rule, detail) AS (
    SELECT id, 'burst', jsonb_build_object('reviews', n, 'minutes', %(burst_minutes)s) FROM burst
    UNION ALL
    SELECT id, 'device', jsonb_build_object('cadres', n, 'minutes', 60) FROM device
    UNION ALL
    SELECT id, 'account_devices',
           jsonb_build_object('devices', n, 'minutes', %(devices_minutes)s)
    FROM account_devices
    UNION ALL
    SELECT id, 'account', jsonb_build_object('cadres', n, 'minutes', %(account_minutes)s)
    FROM account
    UNION ALL
    SELECT id, 'address_devices',
           jsonb_build_object('devices', n, 'minutes', %(devices_minutes)s)
    FROM address_devices
    UNION ALL
    SELECT id, 'unit_sweep', jsonb_build_object('cadres', n) FROM sweep
    UNION ALL
    SELECT id, 'few_accounts',
           jsonb_build_object('reviews', total, 'accounts', accounts, 'share_percent', percent)
    FROM few
),
per_review_added AS (
    INSERT INTO "cadres_reviewflag" (review_id, rule, detail, created_at, state, decision_reason,
                         points_taken_back, points_shortfall, address_hash, hour, reviews)
    SELECT review_id, rule, detail, %(now)s, 'open', '', 0, 0, '', NULL, 1 FROM per_review
    ORDER BY review_id, rule
    ON CONFLICT DO NOTHING
    RETURNING 1
),
address_added AS (
    INSERT INTO "cadres_reviewflag" AS flag (review_id, rule, detail, created_at, state, decision_reason,
                                 points_taken_back, points_shortfall, address_hash, hour, reviews)
    SELECT first, 'address', jsonb_build_object('cadres', cadres, 'minutes', 60), %(now)s,
           'open', '', 0, 0, address, hour, reviews
    FROM address_hours ORDER BY address, hour
    ON CONFLICT (rule, address_hash, hour) DO UPDATE SET
    reviews = GREATEST(flag.reviews, EXCLUDED.reviews),
    detail = CASE WHEN (EXCLUDED.detail ->> 'cadres')::int > (flag.detail ->> 'cadres')::int
                  THEN EXCLUDED.detail ELSE flag.detail END
    RETURNING xmax = 0 AS inserted
)
SELECT (SELECT COUNT(*) FROM per_review_added)
       + (SELECT COUNT(*) FROM address_added WHERE inserted)
