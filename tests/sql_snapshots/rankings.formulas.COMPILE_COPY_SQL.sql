COPY (
WITH counts AS (
    SELECT cadre_id,
           count(*) AS n,
           count(*) FILTER (WHERE rating >= 4) AS satisfied,
           count(*) FILTER (WHERE rating <= 2) AS bad,
           count(*) FILTER (WHERE rating <= 2 AND responded_at <= %(cutoff)s) AS bad_answered,
           count(*) FILTER (WHERE verdict_at <= %(cutoff)s) AS verdicts,
           count(*) FILTER (WHERE verdict_accepted = false AND verdict_at <= %(cutoff)s)
               AS rejected,
           count(*) FILTER (WHERE verified) AS verified
    FROM cadres_review
    -- The month as it stood at its cutoff (reviews, answers, verdicts), less the reviews
    -- held then and those excluded by excluded_by (version 1: the cutoff; a correction:
    -- its own moment). rankings/cutoff.py.
    WHERE local_date >= %(start)s AND local_date < %(end)s AND created_at <= %(cutoff)s
          AND (excluded_reason = '' OR excluded_at > %(excluded_by)s)
          AND NOT id = ANY(%(held)s::bigint[])
          AND (verified OR NOT %(verified_only)s)
    GROUP BY cadre_id
), excluded AS (
    -- Counts only of the reviews left out, by ground (through a partial index: few rows).
    SELECT cadre_id,
           count(*) FILTER (WHERE excluded_reason = 'colleague') AS x_colleague,
           count(*) FILTER (WHERE excluded_reason = 'appeal') AS x_appeal,
           count(*) FILTER (WHERE excluded_reason = 'fraud') AS x_fraud
    FROM cadres_review
    WHERE local_date >= %(start)s AND local_date < %(end)s AND excluded_reason <> ''
          AND excluded_at <= %(excluded_by)s AND created_at <= %(cutoff)s
    GROUP BY cadre_id
), roster AS (
    -- Who is listed, under which name and unit: the live cadres when version 1 is
    -- compiled; a correction (and any version compiled again) lists version 1's cadres
    -- with the names and units it published, whatever changed in them since.
    SELECT c.id AS cadre_id, c.name, c.unit_id, u.name AS unit_name, c.active
    FROM cadres_cadre c
    JOIN cadres_unit u ON u.id = c.unit_id
    WHERE %(roster)s::bigint IS NULL
    UNION ALL
    SELECT cadre_id, name, unit_id, unit_name, true
    FROM cadres_rankingentry
    WHERE ranking_id = %(roster)s::bigint AND cadre_id IS NOT NULL
), cadres AS (
    SELECT r.cadre_id, r.name, r.unit_id, r.unit_name,
           coalesce(k.n, 0) AS n, coalesce(k.satisfied, 0) AS satisfied,
           coalesce(k.bad, 0) AS bad, coalesce(k.bad_answered, 0) AS bad_answered,
           coalesce(k.verdicts, 0) AS verdicts, coalesce(k.rejected, 0) AS rejected,
           coalesce(x.x_colleague, 0) AS x_colleague, coalesce(x.x_appeal, 0) AS x_appeal,
           coalesce(x.x_fraud, 0) AS x_fraud, coalesce(k.verified, 0) AS verified
    FROM roster r
    LEFT JOIN counts k ON k.cadre_id = r.cadre_id
    LEFT JOIN excluded x ON x.cadre_id = r.cadre_id
    WHERE r.active OR k.n IS NOT NULL
), subjects AS (
    SELECT 'cadre' AS scope, unit_id, cadre_id, name, unit_name, n, satisfied, bad,
           bad_answered, verdicts, rejected, x_colleague, x_appeal, x_fraud, verified
    FROM cadres
    UNION ALL
    SELECT 'unit', unit_id, NULL, unit_name, unit_name, sum(n)::bigint,
           sum(satisfied)::bigint, sum(bad)::bigint, sum(bad_answered)::bigint,
           sum(verdicts)::bigint, sum(rejected)::bigint, sum(x_colleague)::bigint,
           sum(x_appeal)::bigint, sum(x_fraud)::bigint, sum(verified)::bigint
    FROM cadres
    GROUP BY unit_id, unit_name
), rates AS (
    SELECT s.*,
           CASE WHEN n > 0 THEN satisfied::float8 / n ELSE 0::float8 END AS p,
           CASE WHEN bad > 0 THEN bad_answered::float8 / bad ELSE 1::float8 END AS response,
           CASE WHEN verdicts > 0 THEN rejected::float8 / verdicts ELSE 0::float8 END
               AS rejection,
           1.96::float8 * 1.96::float8 AS z2
    FROM subjects s
), wilson AS (
    SELECT r.*,
           CASE WHEN n > 0 THEN greatest(0::float8,
               ((p + z2 / (2 * n)) - 1.96::float8 * sqrt(p * (1 - p) / n + z2 / (4 * n * n)))
               / (1 + z2 / n)) ELSE 0::float8 END AS w
    FROM rates r
), scored AS (
    SELECT w.*,
           round(p::numeric, 4) AS satisfaction_rate,
           round(response::numeric, 4) AS response_rate,
           round(rejection::numeric, 4) AS rejection_rate,
           round((100 * (0.6::float8 * w + 0.3::float8 * response
                  + 0.1::float8 * (1 - rejection)))::numeric, 2) AS score,
           n >= %(min_reviews)s AS ranked
    FROM wilson w
), ordered AS (
    SELECT s.*,
           row_number() OVER (
               PARTITION BY scope
               ORDER BY ranked DESC, n > 0 DESC, score DESC, n DESC, name COLLATE "C",
                        coalesce(cadre_id, unit_id)) AS position,
           count(*) FILTER (WHERE ranked) OVER (PARTITION BY scope) AS ranked_count,
           row_number() OVER (
               PARTITION BY scope, unit_id
               ORDER BY ranked DESC, n > 0 DESC, score DESC, n DESC, name COLLATE "C",
                        coalesce(cadre_id, unit_id)) AS unit_position,
           count(*) FILTER (WHERE ranked) OVER (PARTITION BY scope, unit_id)
               AS unit_ranked_count
    FROM scored s
)
SELECT %(ranking)s::bigint, scope, unit_id, cadre_id, name, unit_name, position,
       CASE WHEN ranked THEN position END,
       n, satisfied, bad, bad_answered, verdicts, rejected, satisfaction_rate, response_rate,
       rejection_rate, score,
       ranked AND position > ranked_count
           - greatest(1, (ranked_count + %(bottom_divisor)s - 1) / %(bottom_divisor)s),
       CASE WHEN cadre_id IS NOT NULL THEN unit_position END,
       CASE WHEN cadre_id IS NOT NULL AND ranked THEN unit_position END,
       cadre_id IS NOT NULL AND ranked AND unit_position > unit_ranked_count
           - greatest(1, (unit_ranked_count + %(bottom_divisor)s - 1) / %(bottom_divisor)s),
       x_colleague, x_appeal, x_fraud, verified
FROM ordered
) TO STDOUT
