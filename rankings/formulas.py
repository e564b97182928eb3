"""The ranking formulas of API.md, and nothing else: pure functions over counts.

The counts come from one grouped query over a month's reviews (services.rankings_compile);
these functions turn them into the published figures, so every place that shows a rate
shows the one computed here.
"""

import datetime as dt
import hashlib
import json
import math
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

Z = 1.96
MIN_REVIEWS = 5
# The bottom is the lowest 1/BOTTOM_DIVISOR (10%) of the ranked, rounded up, in integers:
# math.ceil(30 * 0.1) is 4 in floating point.
BOTTOM_DIVISOR = 10
RATE_PLACES = Decimal("0.0001")
SCORE_PLACES = Decimal("0.01")


def wilson_lower_bound(positive: int, total: int, z: float = Z) -> float:
    """The lower bound of the Wilson score interval; 0 when there is nothing to count."""
    if total <= 0:
        return 0.0
    p = positive / total
    z2 = z * z
    centre = p + z2 / (2 * total)
    margin = z * math.sqrt(p * (1 - p) / total + z2 / (4 * total * total))
    return max(0.0, (centre - margin) / (1 + z2 / total))


@dataclass(frozen=True)
class Counts:
    reviews: int = 0
    satisfied: int = 0
    bad: int = 0
    bad_answered: int = 0
    verdicts: int = 0
    rejected: int = 0
    # Reviews through a service ticket: published beside the score, not in it.
    verified: int = 0

    def __add__(self, other: "Counts") -> "Counts":
        return Counts(
            self.reviews + other.reviews,
            self.satisfied + other.satisfied,
            self.bad + other.bad,
            self.bad_answered + other.bad_answered,
            self.verdicts + other.verdicts,
            self.rejected + other.rejected,
            self.verified + other.verified,
        )


@dataclass(frozen=True)
class Excluded:
    """Reviews of the month left out of the figures, by ground (Exclusion)."""

    colleague: int = 0
    appeal: int = 0
    fraud: int = 0

    def __add__(self, other: "Excluded") -> "Excluded":
        return Excluded(
            self.colleague + other.colleague, self.appeal + other.appeal, self.fraud + other.fraud
        )


@dataclass(frozen=True)
class Figures:
    satisfaction_rate: Decimal
    response_rate: Decimal
    rejection_rate: Decimal
    score: Decimal


def _round(value: float, places: Decimal) -> Decimal:
    # Through 15 significant digits, as PostgreSQL casts float8 to numeric: both ways of
    # compiling (Python here, SQL on PostgreSQL) round the same float the same way.
    return Decimal(f"{value:.15g}").quantize(places, rounding=ROUND_HALF_UP)


def figures(counts: Counts) -> Figures:
    """API.md's rates and score. The score uses the exact rates, then rounds to 2 places."""
    satisfaction = counts.satisfied / counts.reviews if counts.reviews else 0.0
    response = counts.bad_answered / counts.bad if counts.bad else 1.0
    rejection = counts.rejected / counts.verdicts if counts.verdicts else 0.0
    w = wilson_lower_bound(counts.satisfied, counts.reviews)
    score = 100 * (0.6 * w + 0.3 * response + 0.1 * (1 - rejection))
    return Figures(
        satisfaction_rate=_round(satisfaction, RATE_PLACES),
        response_rate=_round(response, RATE_PLACES),
        rejection_rate=_round(rejection, RATE_PLACES),
        score=_round(score, SCORE_PLACES),
    )


@dataclass
class Line:
    """An entry before it is stored: who, their counts and figures, rank and bottom."""

    key: int
    name: str
    counts: Counts
    figures: Figures
    rank: int | None = None
    position: int = 0
    bottom: bool = False
    excluded: Excluded = Excluded()


def rank_lines(lines: list[Line]) -> list[Line]:
    """Order, rank and mark the bottom of one scope's lines (a new list).

    Ranked: 5 reviews or more, by score (highest first), then more reviews, then name.
    The rest follow, unranked, in the same order, those without any review last. Bottom: the lowest ceil(10%) of the
    ranked lines, at least one when any line is ranked.
    """

    def order(line: Line):
        # A line without reviews has no score to show: it goes after those with one.
        no_reviews = line.counts.reviews == 0
        return (no_reviews, -line.figures.score, -line.counts.reviews, line.name, line.key)

    ranked = sorted((x for x in lines if x.counts.reviews >= MIN_REVIEWS), key=order)
    unranked = sorted((x for x in lines if x.counts.reviews < MIN_REVIEWS), key=order)
    bottom_count = max(1, -(-len(ranked) // BOTTOM_DIVISOR)) if ranked else 0
    for index, line in enumerate(ranked):
        line.rank = index + 1
        line.bottom = index >= len(ranked) - bottom_count
    for line in unranked:
        line.rank = None
        line.bottom = False
    result = ranked + unranked
    for position, line in enumerate(result, start=1):
        line.position = position
    return result


def entries_digest(*, previous_digest: str, month: dt.date, entries: list[list]) -> str:
    """SHA-256 of the previous month's digest, the month and its entries (canonical JSON).

    Anyone holding the published entries can recompute it; changing any figure of a
    published month, or of any month before it, changes every digest after it.
    """
    canonical = json.dumps(
        {"previous": previous_digest, "month": month.strftime("%Y-%m"), "entries": entries},
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


# The same entries (services.ENTRY_COLUMNS after ranking_id) in one SELECT, for
# PostgreSQL: one row per unit and one per cadre, the cadre's rank within its unit in
# the unit_* columns. It runs as COPY (query) TO STDOUT, which PostgreSQL may run in
# parallel (an INSERT ... SELECT never is), and services copies the rows back in. Every
# expression follows `figures`, `wilson_lower_bound` and `rank_lines` above operation
# by operation, in float8, and rounds through numeric as `_round` does; the tests run
# the hand-computed month on both databases, so the two stay equal.
COMPILE_SQL = """
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
"""
COMPILE_COPY_SQL = "COPY (" + COMPILE_SQL + ") TO STDOUT"
