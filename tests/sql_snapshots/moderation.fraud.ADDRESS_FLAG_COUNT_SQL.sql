INSERT INTO "cadres_reviewflag" AS flag
    (review_id, rule, detail, created_at, state, decision_reason, points_taken_back,
     points_shortfall, address_hash, hour, reviews)
VALUES (%s, %s, %s, %s, 'open', '', 0, 0, %s, %s, %s)
ON CONFLICT (rule, address_hash, hour) DO UPDATE SET
    reviews = flag.reviews + 1,
    detail = CASE WHEN (EXCLUDED.detail ->> 'cadres')::int > (flag.detail ->> 'cadres')::int
                  THEN EXCLUDED.detail ELSE flag.detail END
