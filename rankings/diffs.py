"""What a correction changed: its entries against those of the version it replaces.

Computed once, when the correction is created (services.ranking_month_correct), from the
two versions' stored lines, and stored with it (`RankingMonth.changes`): both versions
are sealed and never change, so neither does the list (not sealed itself: its ranks,
scores and bottom flags can be checked against the two versions' open-data files).
Counts only: an excluded review is counted by ground, never who wrote it.
"""

import dataclasses

from .lines import Line
from .models import RankingEntry, RankingMonth

# An entry whose figures moved (or that appeared or went away), and one whose only
# change is its rank or bottom flag, because another entry of its scope moved.
CHANGED = "changed"
RANK_ONLY = "rank_only"
KINDS = (CHANGED, RANK_ONLY)

COUNTS = ("reviews", "satisfied", "bad", "bad_answered", "verdicts", "rejected", "verified")
GROUNDS = ("colleague", "appeal", "fraud")
# The scopes in the open data's order: units, cadres, each unit's cadres.
SCOPE_ORDER: dict[str, int] = {
    RankingEntry.Scope.UNIT.value: 0,
    RankingEntry.Scope.CADRE.value: 1,
    RankingEntry.Scope.UNIT_CADRE.value: 2,
}


@dataclasses.dataclass(frozen=True)
class Side:
    """An entry's published values in one version."""

    rank: int | None
    score: str | None  # as published; None without reviews (the API's null)
    bottom: bool
    reviews: int
    satisfied: int
    bad: int
    bad_answered: int
    verdicts: int
    rejected: int
    verified: int
    excluded: dict[str, int]  # by ground: colleague, appeal, fraud

    @classmethod
    def of(cls, entry: Line) -> "Side":
        # Spelt out (COUNTS, GROUNDS): ~15,000 calls a correction.
        return cls(
            rank=entry.rank,
            score=str(entry.score) if entry.reviews else None,
            bottom=entry.bottom,
            reviews=entry.reviews,
            satisfied=entry.satisfied,
            bad=entry.bad,
            bad_answered=entry.bad_answered,
            verdicts=entry.verdicts,
            rejected=entry.rejected,
            verified=entry.verified,
            excluded={
                "colleague": entry.excluded_colleague,
                "appeal": entry.excluded_appeal,
                "fraud": entry.excluded_fraud,
            },
        )

    def figures(self) -> "Side":
        """The same values but the rank and the bottom flag."""
        return dataclasses.replace(self, rank=None, bottom=False)


@dataclasses.dataclass(frozen=True)
class Change:
    """One entry of a scope that differs between two versions. `old` is None for an
    entry the new version adds, `new` None for one it no longer lists."""

    scope: str
    kind: str
    name: str
    unit_id: int
    unit_name: str
    cadre_id: int | None
    old: Side | None
    new: Side | None

    def to_json(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "Change":
        sides = {key: Side(**data[key]) if data[key] else None for key in ("old", "new")}
        return cls(**{**data, **sides})


def _key(entry: Line) -> tuple:
    """The same entry in two versions: a unit by its id, a cadre by its own (in both of
    its scopes, even if it moved to another unit)."""
    if entry.scope == RankingEntry.Scope.UNIT:
        return (entry.scope, entry.unit_id)
    return (entry.scope, entry.cadre_id)


def _who(entry: Line) -> tuple:
    return (entry.name, entry.unit_id, entry.unit_name)


def compute(*, old: list[Line], new: list[Line]) -> list[Change]:
    """Every line of the new version (all three scopes, as selectors.ranking_lines gives
    them) that differs from the same line of the old one: by scope, then in the new
    version's order, the lines it no longer has last."""
    before = {_key(e): e for e in old}
    after = {_key(e): e for e in new}
    order = {key: n for n, key in enumerate(after)}
    changes = []
    for key in sorted(before.keys() | after.keys(), key=lambda k: order.get(k, len(order))):
        was, now = before.get(key), after.get(key)
        if was == now:  # the same line in both (most of them): nothing to compare
            continue
        old_side = Side.of(was) if was else None
        new_side = Side.of(now) if now else None
        kind = CHANGED
        if was is not None and now is not None and _who(was) == _who(now):
            if old_side == new_side:
                continue
            if old_side and new_side and old_side.figures() == new_side.figures():
                kind = RANK_ONLY
        entry = now or before[key]  # each key comes from one version or both
        changes.append(
            Change(
                scope=entry.scope,
                kind=kind,
                name=entry.name,
                unit_id=entry.unit_id,
                unit_name=entry.unit_name,
                cadre_id=entry.cadre_id,
                old=old_side,
                new=new_side,
            )
        )
    return sorted(changes, key=lambda change: SCOPE_ORDER[change.scope])


def excluded_by_ground(changes: list[Change]) -> dict[str, int]:
    """The reviews excluded since the version replaced, by ground: summed over the units'
    lines (a unit pools all its cadres' reviews, so every exclusion shows in one)."""
    total = dict.fromkeys(GROUNDS, 0)
    for change in changes:
        if change.scope != RankingEntry.Scope.UNIT:
            continue
        for ground in GROUNDS:
            total[ground] += (change.new.excluded[ground] if change.new else 0) - (
                change.old.excluded[ground] if change.old else 0
            )
    return total


def stored(ranking: RankingMonth) -> list[Change]:
    """The changes a version carries (none for version 1)."""
    return [Change.from_json(data) for data in ranking.changes]


def of_scope(changes: list[Change], *, scope: str, unit_id: int | None) -> list[Change]:
    """The changes of one scope as the API asks for it: scope cadre with a unit is that
    unit's own ranking (its cadres' lines within the unit)."""
    if scope == RankingEntry.Scope.CADRE and unit_id is not None:
        return [
            c for c in changes if c.scope == RankingEntry.Scope.UNIT_CADRE and c.unit_id == unit_id
        ]
    return [c for c in changes if c.scope == scope]
