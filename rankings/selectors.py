"""Reads of the rankings: published months and their versions, a month's entries and
pages, the digests, a cadre's history, and the bottom's report."""

import datetime as dt
from dataclasses import dataclass, field

from django.db.models import Exists, OuterRef, Q

from cadres.models import Cadre
from core.routers import read_database

from . import diffs, formulas, lines
from .models import BottomStreak, BottomWarning, RankingEntry, RankingMonth


def published_versions():
    """Every published version of every month: public, immutable, from the replica."""
    return RankingMonth.objects.using(read_database()).filter(published_at__isnull=False)


def published_months():
    """Published months, newest first, each as its latest version (a correction replaces
    the version before it)."""
    later = RankingMonth.objects.filter(
        month=OuterRef("month"), version__gt=OuterRef("version"), published_at__isnull=False
    )
    return published_versions().exclude(Exists(later)).order_by("-month")


def published_month(*, month: dt.date, version: int | None = None) -> RankingMonth | None:
    """The month's latest published version, or version `version` of it."""
    if version is None:
        return published_months().filter(month=month).first()
    return published_versions().filter(month=month, version=version).first()


def month_versions(*, month: dt.date) -> list[RankingMonth]:
    """Every published version of a month, oldest first."""
    return list(published_versions().filter(month=month).order_by("version"))


def ranking_entries(*, ranking: RankingMonth, scope: str, unit_id: int | None = None):
    """One scope of a month in order; scope cadre with unit_id: that unit's own ranking."""
    if scope == RankingEntry.Scope.CADRE and unit_id is not None:
        rows = ranking.entries.filter(scope=RankingEntry.Scope.CADRE, unit_id=unit_id)
        return [_within_unit(e) for e in rows.order_by("unit_position")]
    return ranking.entries.filter(scope=scope).order_by("position")


@dataclass(frozen=True)
class RankingPage:
    """One published month's lines in one scope, as GET /rankings/{month} answers them.

    `next_offset` / `previous_offset`: the neighbouring pages' first lines, when paged."""

    ranking: RankingMonth
    scope: str
    unit_id: int | None
    entries: list[RankingEntry]
    next_offset: int | None = None
    previous_offset: int | None = None
    # Every published version of the month, oldest first (the page is of `ranking`).
    versions: list[RankingMonth] = field(default_factory=list)
    # What `ranking` changed in this scope against the version it replaces (rankings.diffs).
    changes: list[diffs.Change] = field(default_factory=list)

    @property
    def unit(self) -> dict | None:
        return {"id": self.unit_id, "name": self.entries[0].unit_name} if self.unit_id else None


def ranking_page(
    *, ranking: RankingMonth, scope: str, unit_id: int | None, offset: int | None, size: int | None
) -> RankingPage | None:
    """A month's lines in `scope` (a unit's own cadres with `unit_id`), the `size` lines from
    `offset` (None: the first) when paged; None for a unit without lines or a page past the end."""
    entries = ranking_entries(ranking=ranking, scope=scope, unit_id=unit_id)
    versions = month_versions(month=ranking.month)
    changes = diffs.of_scope(diffs.stored(ranking), scope=scope, unit_id=unit_id)
    if size is None:
        entries = list(entries)
        if unit_id is not None and not entries:
            return None
        return RankingPage(
            ranking=ranking,
            scope=scope,
            unit_id=unit_id,
            entries=entries,
            versions=versions,
            changes=changes,
        )
    # A published month never changes, so an offset names the same line on every read.
    start = offset or 0
    entries = list(entries[start : start + size + 1])
    if not entries and start > 0:
        return None
    return RankingPage(
        ranking=ranking,
        scope=scope,
        unit_id=unit_id,
        entries=entries[:size],
        next_offset=start + size if len(entries) > size else None,
        previous_offset=max(0, start - size) if start > 0 else None,
        versions=versions,
        changes=changes,
    )


def ranking_search(*, ranking: RankingMonth, text: str, limit: int) -> list[RankingEntry]:
    """The month's cadres whose names contain `text`, in district order, at most `limit`."""
    rows = ranking.entries.filter(scope=RankingEntry.Scope.CADRE, name__icontains=text)
    return list(rows.order_by("position")[:limit])


def ranking_lines(*, ranking: RankingMonth) -> list[lines.Line]:
    """Every line of a month as published: units, cadres, then each unit's cadres (the
    unit_cadre scope, rebuilt from the cadre rows), each in order."""
    return lines.of(ranking)


def _within_unit(entry: RankingEntry) -> RankingEntry:
    """A cadre's row as its unit's ranking shows it (an unsaved copy, never stored)."""
    values = {f.attname: getattr(entry, f.attname) for f in RankingEntry._meta.concrete_fields}
    values.update(
        id=None,
        scope=RankingEntry.Scope.UNIT_CADRE,
        position=entry.unit_position,
        rank=entry.unit_rank,
        bottom=entry.unit_bottom,
    )
    return RankingEntry(**values)


def ranking_digest_entries(
    *, ranking: RankingMonth, rows: list[lines.Line] | None = None
) -> list[list]:
    """The entries as plain lists in a fixed order: what the digest covers.

    The digest was defined over three scopes of rows (each unit's cadres with the unit's
    id as scope_unit_id); the cadre rows now carry the rank within the unit, and
    ranking_lines rebuilds that scope, so every digest stays what it was. The excluded
    counts and the verified share are covered from the months compiled with them
    (`RankingMonth.digest_covers_verified`): `digest_fields` names a month's values.
    """
    within = RankingEntry.Scope.UNIT_CADRE
    return [
        [
            e.scope,
            e.unit_id if e.scope == within else None,
            e.unit_id,
            e.cadre_id,
            e.name,
            e.unit_name,
            e.rank,
            e.reviews,
            str(e.satisfaction_rate),
            str(e.response_rate),
            str(e.rejection_rate),
            str(e.score),
            e.bottom,
            *(
                [e.excluded_colleague, e.excluded_appeal, e.excluded_fraud, str(e.verified_share)]
                if ranking.digest_covers_verified
                else []
            ),
        ]
        for e in (ranking_lines(ranking=ranking) if rows is None else rows)
    ]


def ranking_digest(
    *, ranking: RankingMonth, previous_digest: str, rows: list[lines.Line] | None = None
) -> str:
    """SHA-256 of the month's lines chained to `previous_digest` (docs/cadres-rankings.md)."""
    return formulas.entries_digest(
        previous_digest=previous_digest,
        month=ranking.month,
        entries=ranking_digest_entries(ranking=ranking, rows=rows),
    )


def ranking_month_verify(*, ranking: RankingMonth) -> bool:
    """Recompute a published month's digest from its stored entries: True when it matches."""
    if ranking.published_at is None:
        return False
    published = RankingMonth.objects.filter(published_at__isnull=False)
    if ranking.version > 1:
        # A correction follows the version it replaces.
        follows = set(
            published.filter(month=ranking.month, version=ranking.version - 1).values_list(
                "digest", flat=True
            )
        )
    else:
        # A month's first version follows a version of the month published before it.
        before = published.filter(month__lt=ranking.month).order_by("-month").first()
        follows = (
            set(published.filter(month=before.month).values_list("digest", flat=True))
            if before
            else {""}
        )
    if ranking.previous_digest not in follows:
        return False
    return (
        ranking_digest(ranking=ranking, previous_digest=ranking.previous_digest) == ranking.digest
    )


# The names of the values the digest covers, in the order `services.ranking_digest` hashes
# them; the open data publishes each entry under these names.
DIGEST_FIELDS = (
    "scope",
    "scope_unit_id",
    "unit_id",
    "cadre_id",
    "name",
    "unit_name",
    "rank",
    "reviews",
    "satisfaction_rate",
    "response_rate",
    "rejection_rate",
    "score",
    "bottom",
)


# Months compiled since reviews can be excluded and verified by a service ticket
# (`RankingMonth.digest_covers_verified`) also seal these, in this order; the months
# sealed before keep the digest of the fields above.
VERIFIED_DIGEST_FIELDS = (
    *DIGEST_FIELDS,
    "excluded_colleague",
    "excluded_appeal",
    "excluded_fraud",
    "verified_share",
)


def digest_fields(*, ranking: RankingMonth) -> tuple[str, ...]:
    """The names of the values a month's digest covers, in order."""
    return VERIFIED_DIGEST_FIELDS if ranking.digest_covers_verified else DIGEST_FIELDS


def ranking_digest_records(*, ranking: RankingMonth) -> list[dict]:
    """A published month's entries exactly as its digest covers them, in the digest's
    order, as records named by `digest_fields` (the open data's rows)."""
    fields = digest_fields(ranking=ranking)
    return [dict(zip(fields, row, strict=True)) for row in ranking_digest_entries(ranking=ranking)]


HISTORY_MONTHS = 12


def cadre_history(*, cadre: Cadre, months: int = HISTORY_MONTHS) -> list[RankingEntry]:
    """The cadre's lines (scope cadre) in the last `months` published months, newest first;
    a month where the cadre was not listed is left out. Through the (ranking, cadre) index:
    the months first, then their lines."""
    ids = list(published_months().values_list("pk", flat=True)[:months])
    rows = (
        RankingEntry.objects.using(read_database())
        .filter(ranking_id__in=ids, cadre_id=cadre.pk, scope=RankingEntry.Scope.CADRE)
        .select_related("ranking")
    )
    return sorted(rows, key=lambda entry: entry.ranking.month, reverse=True)


def latest_published_version(*, month: dt.date) -> RankingMonth | None:
    """The month's latest published version from the primary (what the bottom follows:
    read right after a correction, when a replica may not have it yet)."""
    return (
        RankingMonth.objects.filter(month=month, published_at__isnull=False)
        .order_by("-version")
        .first()
    )


def bottom_report(*, ranking: RankingMonth) -> "BottomReport":
    """The standing committee's report of a month: the bottom units and cadres with their
    months in a row and last three months, and the warnings still open (every month).
    Whichever version is asked for, the month's latest is reported: the bottom, its
    streaks and the trend follow corrections (rankings/bottom.py)."""
    ranking = latest_published_version(month=ranking.month) or ranking
    bottom = list(
        ranking.entries.filter(
            scope__in=[RankingEntry.Scope.UNIT, RankingEntry.Scope.CADRE], bottom=True
        ).order_by("scope", "position")
    )
    streaks = {
        (s.scope, s.unit_id, s.cadre_id): s.months
        for s in BottomStreak.objects.filter(ranking=ranking)
    }
    earlier = list(published_months().filter(month__lt=ranking.month)[:2])
    trend_months = [ranking, *earlier][::-1]
    trend_rows = RankingEntry.objects.filter(
        ranking__in=trend_months, scope__in=[RankingEntry.Scope.UNIT, RankingEntry.Scope.CADRE]
    ).filter(Q(cadre_id__in=[e.cadre_id for e in bottom if e.cadre_id]) | Q(cadre__isnull=True))
    by_key = {(e.ranking_id, e.scope, e.unit_id, e.cadre_id): e for e in trend_rows}
    lines = []
    for entry in bottom:
        key = (entry.scope, entry.unit_id, entry.cadre_id)
        trend = [(m.label, by_key.get((m.pk, *key))) for m in trend_months]
        lines.append(BottomLine(entry=entry, months=streaks.get(key, 1), trend=trend))
    warnings = list(
        BottomWarning.objects.filter(
            state__in=[BottomWarning.State.OPEN, BottomWarning.State.TALK_HELD]
        )
        .filter(ranking__month__lte=ranking.month)
        .select_related("ranking")
        .order_by("-ranking__month", "kind", "name")
    )
    return BottomReport(ranking=ranking, lines=lines, warnings=warnings)


@dataclass(frozen=True)
class BottomLine:
    entry: RankingEntry
    months: int
    # (YYYY-MM, the entry that month or None), oldest first.
    trend: list


@dataclass(frozen=True)
class BottomReport:
    ranking: RankingMonth
    lines: list[BottomLine]
    warnings: list[BottomWarning]


@dataclass(frozen=True)
class CadreHistory:
    """GET /cadres/{id}/history: the cadre and its lines, newest first."""

    cadre: Cadre
    months: list[RankingEntry]
