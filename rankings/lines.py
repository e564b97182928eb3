"""A version's lines as plain tuples: what the diff, the digest and the exports read.

A month has ~15,000 lines (units, cadres, each unit's cadres); building a model instance
for each was most of a correction's time (docs/benchmarks.md). One query a version, only
the columns read, with the database's values as the model would hold them (the same
converters), so every digest, diff and export stays byte-identical.
"""

from decimal import Decimal
from typing import NamedTuple

from .models import RankingEntry, RankingMonth


class Line(NamedTuple):
    """One published line: a RankingEntry's values (the unit_cadre scope rebuilt from
    the cadre row, as selectors.ranking_lines gives it)."""

    scope: str
    unit_id: int
    cadre_id: int | None
    name: str
    unit_name: str
    position: int
    rank: int | None
    reviews: int
    satisfied: int
    bad: int
    bad_answered: int
    verdicts: int
    rejected: int
    verified: int
    satisfaction_rate: Decimal
    response_rate: Decimal
    rejection_rate: Decimal
    score: Decimal
    bottom: bool
    excluded_colleague: int
    excluded_appeal: int
    excluded_fraud: int

    @property
    def verified_share(self) -> Decimal:
        # The model's own rule, so that the two never differ.
        return RankingEntry.verified_share.fget(self)  # type: ignore[attr-defined]


# The cadre row's line within its unit, read with it.
_WITHIN = ("unit_position", "unit_rank", "unit_bottom")
_COLUMNS = (*Line._fields, *_WITHIN)
# Where a unit_cadre line's position, rank and bottom come from in a row.
_POSITION, _RANK, _BOTTOM = (Line._fields.index(name) for name in ("position", "rank", "bottom"))
_UNIT_POSITION = len(Line._fields)


def of(ranking: RankingMonth) -> list[Line]:
    """Every line of a month as published: units, cadres, then each unit's cadres, each
    in order (selectors.ranking_lines)."""
    rows = list(ranking.entries.order_by("scope", "position").values_list(*_COLUMNS))
    cadre = RankingEntry.Scope.CADRE.value
    within = RankingEntry.Scope.UNIT_CADRE.value
    stored = [Line._make(row[:_UNIT_POSITION]) for row in rows]
    unit_cadres = []
    for row in rows:
        if row[0] != cadre:
            continue
        values = list(row[:_UNIT_POSITION])
        values[0] = within
        values[_POSITION], values[_RANK], values[_BOTTOM] = row[_UNIT_POSITION:]
        unit_cadres.append(Line._make(values))
    unit_cadres.sort(key=lambda line: (line.unit_id, line.position))
    return [*stored, *unit_cadres]
