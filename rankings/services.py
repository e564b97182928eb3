"""Writes of the rankings: compile a month, publish it sealed to the chain, correct a
published month, and the bottom's warnings moved on (the bottom itself, streaks and
warnings, is recorded in rankings/bottom.py)."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres import permissions as cadres_permissions
from cadres.models import Cadre, Exclusion, Review, Unit
from core import audit
from core.errors import Forbidden, Invalid
from core.months import local_today, month_has_ended, next_month
from core.parties import refuse_party

from . import diffs, formulas, permissions, selectors
from .bottom import bottom_follow, bottom_record
from .cache import RANKINGS
from .cutoff import answer_window_closed
from .errors import (
    AnswerWindowOpen,
    LaterMonthPublished,
    MonthNotCompiled,
    MonthNotEnded,
    MonthPublished,
    WarningStateInvalid,
)
from .models import BottomWarning, RankingEntry, RankingMonth

# --- Rankings --------------------------------------------------------------------------


def month_counts(
    *,
    month: dt.date,
    cutoff: dt.datetime | None = None,
    excluded_by: dt.datetime | None = None,
    held: list[int] | tuple[int, ...] = (),
    verified_only: bool = False,
) -> dict[int, formulas.Counts]:
    """Counts per cadre for the month as it stood at `cutoff` (reviews, answers and
    verdicts given by then; default now), less the reviews excluded by `excluded_by`
    (default the cutoff) and those `held` at the cutoff: one grouped query with
    conditional counts, as formulas.COMPILE_SQL.
    `verified_only` (RANKINGS_VERIFIED_ONLY): only reviews through a service ticket."""
    cutoff = cutoff or timezone.now()
    excluded_by = excluded_by or cutoff
    bad = Q(rating__lte=2)
    answered = Q(responded_at__lte=cutoff)
    given = Q(verdict_at__lte=cutoff)
    reviews = Review.objects.filter(
        Q(excluded_reason="") | Q(excluded_at__gt=excluded_by),
        local_date__gte=month,
        local_date__lt=next_month(month),
        created_at__lte=cutoff,
    ).exclude(pk__in=held)
    if verified_only:
        reviews = reviews.filter(verified=True)
    rows = (
        reviews.order_by()
        .values("cadre_id")
        .annotate(
            n=Count("id"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            bad=Count("id", filter=bad),
            bad_answered=Count("id", filter=bad & answered),
            verdicts=Count("id", filter=given),
            rejected=Count("id", filter=given & Q(verdict_accepted=False)),
            verified=Count("id", filter=Q(verified=True)),
        )
        .values_list(
            "cadre_id", "n", "satisfied", "bad", "bad_answered", "verdicts", "rejected", "verified"
        )
    )
    return {row[0]: formulas.Counts(*row[1:]) for row in rows}


def month_excluded(
    *, month: dt.date, cutoff: dt.datetime, excluded_by: dt.datetime
) -> dict[int, formulas.Excluded]:
    """Per cadre, the month's reviews left out of the figures by `excluded_by`, by ground
    (counts only)."""
    rows = (
        Review.objects.filter(
            local_date__gte=month,
            local_date__lt=next_month(month),
            created_at__lte=cutoff,
            excluded_at__lte=excluded_by,
        )
        .exclude(excluded_reason="")
        .order_by()
        .values("cadre_id")
        .annotate(
            # Named apart from the model's own names (Review.appeal is a relation).
            by_colleague=Count("id", filter=Q(excluded_reason=Exclusion.COLLEAGUE)),
            by_appeal=Count("id", filter=Q(excluded_reason=Exclusion.APPEAL)),
            by_fraud=Count("id", filter=Q(excluded_reason=Exclusion.FRAUD)),
        )
        .values_list("cadre_id", "by_colleague", "by_appeal", "by_fraud")
    )
    return {row[0]: formulas.Excluded(*row[1:]) for row in rows}


ENTRY_COLUMNS = [
    "ranking_id",
    "scope",
    "unit_id",
    "cadre_id",
    "name",
    "unit_name",
    "position",
    "rank",
    "reviews",
    "satisfied",
    "bad",
    "bad_answered",
    "verdicts",
    "rejected",
    "satisfaction_rate",
    "response_rate",
    "rejection_rate",
    "score",
    "bottom",
    "unit_position",
    "unit_rank",
    "unit_bottom",
    "excluded_colleague",
    "excluded_appeal",
    "excluded_fraud",
    "verified",
]
# A snapshot's entries go in by COPY, in ENTRY_COLUMNS' order.
_ENTRIES_COPY_SQL = f"COPY {RankingEntry._meta.db_table} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"  # noqa: S608
# A compile can always be run again: its commit need not wait for the disk; a
# publication (a correction) turns the wait back on for its own commit.
_DISK_WAIT_OFF_SQL = "SET LOCAL synchronous_commit = off"
_DISK_WAIT_ON_SQL = "SET LOCAL synchronous_commit = on"


def _entry(ranking, scope, line, *, unit_id, unit_name, cadre_id=None, within=None):
    """One stored row; `within` is the cadre's Line as ranked inside its unit."""
    f = line.figures
    c = line.counts
    return (
        ranking.pk,
        scope,
        unit_id,
        cadre_id,
        line.name,
        unit_name,
        line.position,
        line.rank,
        c.reviews,
        c.satisfied,
        c.bad,
        c.bad_answered,
        c.verdicts,
        c.rejected,
        f.satisfaction_rate,
        f.response_rate,
        f.rejection_rate,
        f.score,
        line.bottom,
        within.position if within else None,
        within.rank if within else None,
        within.bottom if within else False,
        line.excluded.colleague,
        line.excluded.appeal,
        line.excluded.fraud,
        c.verified,
    )


def _store_entries(rows: list[tuple]) -> None:
    """Insert a snapshot's entries by COPY (5,000 rows in milliseconds)."""
    with connection.cursor() as cursor, cursor.cursor.copy(_ENTRIES_COPY_SQL) as copy:
        for row in rows:
            copy.write_row(row)


def rankings_compile(*, month: dt.date, python: bool = False) -> RankingMonth:
    """Compile (or compile again) the month's snapshot: every scope, replaced at once.

    Idempotent: the month's row is locked for the whole compile, so two workers at once
    run one after the other and leave one result. A published month is refused.
    The database computes and stores it in one statement (formulas.COMPILE_SQL); with
    `python=True` (the tests' and the bench's cross-check) the grouped counts come back
    and formulas.figures/rank_lines do the rest. Both give the same entries.
    """
    month = month.replace(day=1)
    if month > local_today():
        raise Invalid(fields={"month": [_("This month has not started yet.")]})
    with transaction.atomic():
        # Version 1's row is the month's lock (corrections take it too).
        RankingMonth.objects.get_or_create(
            month=month, version=1, defaults={"compiled_at": timezone.now()}
        )
        ranking = RankingMonth.objects.select_for_update().get(month=month, version=1)
        if ranking.published_at is not None:
            raise MonthPublished()
        ranking.verified_only = settings.RANKINGS_VERIFIED_ONLY
        # Not published: the month as it stands now (publishing compiles it again at
        # its cutoff).
        now = timezone.now()
        _compile_into(ranking, cutoff=now, excluded_by=now, python=python)
    return ranking


def _month_excluded_count(month: dt.date, *, cutoff: dt.datetime, excluded_by: dt.datetime) -> int:
    """The month's reviews excluded by `excluded_by`, held ones aside (not a verdict: a
    held review that is cleared must not hide a later exclusion from the correction's
    count)."""
    return (
        Review.objects.filter(
            local_date__gte=month,
            local_date__lt=next_month(month),
            created_at__lte=cutoff,
            excluded_at__lte=excluded_by,
        )
        .exclude(excluded_reason__in=["", Exclusion.UNCONFIRMED])
        .count()
    )


def _month_held(month: dt.date, *, cutoff: dt.datetime) -> list[int]:
    """The month's reviews held for moderation at `cutoff` (few: desk reviews of
    unconfirmed phones), read before the compile so that it and every later version
    leave out the same ones."""
    return sorted(
        Review.objects.filter(
            local_date__gte=month,
            local_date__lt=next_month(month),
            created_at__lte=cutoff,
            excluded_reason=Exclusion.UNCONFIRMED,
        ).values_list("pk", flat=True)
    )


def _compile_into(
    ranking: RankingMonth,
    *,
    cutoff: dt.datetime,
    excluded_by: dt.datetime,
    held: list[int] | None = None,
    roster: int | None = None,
    python: bool = False,
) -> None:
    """Replace `ranking`'s entries with the month as it stood at `cutoff` less the reviews
    excluded by `excluded_by` (rankings/cutoff.py), its row locked by the caller. The
    excluded reviews are counted first: an exclusion committed during the compile is
    then at worst counted in the next correction, never lost from every one."""
    month = ranking.month
    held = held or []
    ranking.excluded_total = _month_excluded_count(month, cutoff=cutoff, excluded_by=excluded_by)
    if not python:
        RankingEntry.objects.filter(ranking=ranking).delete()
        _compile_in_postgres(
            ranking, cutoff=cutoff, excluded_by=excluded_by, held=held, roster=roster
        )
        ranking.compiled_at = timezone.now()
        ranking.save(update_fields=["compiled_at", "verified_only", "excluded_total"])
        return
    counts = month_counts(
        month=month,
        cutoff=cutoff,
        excluded_by=excluded_by,
        held=held,
        verified_only=ranking.verified_only,
    )
    excluded = month_excluded(month=month, cutoff=cutoff, excluded_by=excluded_by)
    # Every active cadre is listed; an inactive one only with reviews in the month.
    columns = ("id", "name", "unit_id", "unit__id", "unit__name")
    cadres = list(Cadre.objects.filter(active=True).select_related("unit").only(*columns))
    missing = set(counts) - {cadre.pk for cadre in cadres}
    if missing:
        cadres += Cadre.objects.filter(pk__in=missing).select_related("unit").only(*columns)
    units = {c.unit_id: c.unit for c in cadres}
    for unit in Unit.objects.filter(cadres__active=True).distinct():
        units.setdefault(unit.pk, unit)

    cadre_lines = {}
    unit_counts = {unit_id: formulas.Counts() for unit_id in units}
    unit_excluded = {unit_id: formulas.Excluded() for unit_id in units}
    for cadre in cadres:
        c = counts.get(cadre.pk, formulas.Counts())
        x = excluded.get(cadre.pk, formulas.Excluded())
        unit_counts[cadre.unit_id] += c
        unit_excluded[cadre.unit_id] += x
        cadre_lines[cadre.pk] = formulas.Line(
            key=cadre.pk, name=cadre.name, counts=c, figures=formulas.figures(c), excluded=x
        )
    cadre_by_pk = {c.pk: c for c in cadres}

    entries = []
    unit_lines = [
        formulas.Line(
            key=uid,
            name=units[uid].name,
            counts=c,
            figures=formulas.figures(c),
            excluded=unit_excluded[uid],
        )
        for uid, c in unit_counts.items()
    ]
    for line in formulas.rank_lines(unit_lines):
        entries.append(
            _entry(ranking, RankingEntry.Scope.UNIT, line, unit_id=line.key, unit_name=line.name)
        )
    # Each unit ranks its own cadres first: fresh Line objects, since rank_lines
    # sets rank and bottom on the lines it is given.
    by_unit: dict[int, list] = {}
    for cadre in cadres:
        line = cadre_lines[cadre.pk]
        by_unit.setdefault(cadre.unit_id, []).append(
            formulas.Line(
                key=line.key,
                name=line.name,
                counts=line.counts,
                figures=line.figures,
                excluded=line.excluded,
            )
        )
    within = {line.key: line for lines in by_unit.values() for line in formulas.rank_lines(lines)}
    for line in formulas.rank_lines(list(cadre_lines.values())):
        cadre = cadre_by_pk[line.key]
        entries.append(
            _entry(
                ranking,
                RankingEntry.Scope.CADRE,
                line,
                unit_id=cadre.unit_id,
                unit_name=cadre.unit.name,
                cadre_id=cadre.pk,
                within=within[cadre.pk],
            )
        )
    RankingEntry.objects.filter(ranking=ranking).delete()
    _store_entries(entries)
    ranking.compiled_at = timezone.now()
    ranking.save(update_fields=["compiled_at", "verified_only", "excluded_total"])


def compile_params(
    ranking: RankingMonth,
    *,
    cutoff: dt.datetime,
    excluded_by: dt.datetime,
    held: list[int],
    roster: int | None = None,
) -> dict:
    """formulas.COMPILE_SQL's parameters for `ranking` (rankings/recompile.py reuses them).
    `roster`: the version 1 whose cadres, names and units a later version lists."""
    return {
        "ranking": ranking.pk,
        "start": ranking.month,
        "end": next_month(ranking.month),
        "min_reviews": formulas.MIN_REVIEWS,
        "bottom_divisor": formulas.BOTTOM_DIVISOR,
        "verified_only": ranking.verified_only,
        "cutoff": cutoff,
        "excluded_by": excluded_by,
        "held": held,
        "roster": roster,
    }


def _compile_in_postgres(
    ranking: RankingMonth,
    *,
    cutoff: dt.datetime,
    excluded_by: dt.datetime,
    held: list[int],
    roster: int | None,
) -> None:
    """formulas.COMPILE_SQL computes every entry as a plain query, which PostgreSQL may
    run in parallel (an INSERT ... SELECT never is); its rows come out with COPY and go
    back in with COPY, as text, without being parsed here."""
    params = compile_params(
        ranking, cutoff=cutoff, excluded_by=excluded_by, held=held, roster=roster
    )
    with connection.cursor() as cursor:
        # A compile can always be run again, and publishing (a later, synchronous
        # commit) flushes it to disk first: its own commit need not wait for the disk.
        cursor.execute(_DISK_WAIT_OFF_SQL)
        with cursor.cursor.copy(formulas.COMPILE_COPY_SQL, params) as copy_out:
            data = b"".join(bytes(block) for block in copy_out)
        with cursor.cursor.copy(_ENTRIES_COPY_SQL) as copy_in:
            copy_in.write(data)


def ranking_month_publish(
    *, month: dt.date, compile_missing: bool = False, actor=None
) -> RankingMonth:
    """Freeze a compiled, ended month and seal it with its digest, chained to the last one.

    The moment of publication is the month's cutoff: the month is compiled again at it,
    under its lock, so that version 1 is exactly the month as it stood then and can be
    compiled again from it at any time (rankings/cutoff.py). Refused until the answer
    window of every bad review of the month has closed (the 4th, 00:00). A month never
    compiled is refused, or with `compile_missing` (the beat's run) created here, in the
    same transaction: a refusal leaves no row behind. `actor`: the admin who published
    (None for the beat), for the audit trail."""
    month = month.replace(day=1)
    if not month_has_ended(month):
        raise MonthNotEnded()
    if not answer_window_closed(month):
        raise AnswerWindowOpen()
    with transaction.atomic():
        ranking = RankingMonth.objects.select_for_update().filter(month=month, version=1).first()
        if ranking is None:
            if not compile_missing:
                raise MonthNotCompiled()
            RankingMonth.objects.get_or_create(
                month=month,
                version=1,
                defaults={
                    "compiled_at": timezone.now(),
                    "verified_only": settings.RANKINGS_VERIFIED_ONLY,
                },
            )
            ranking = RankingMonth.objects.select_for_update().get(month=month, version=1)
        if ranking.published_at is not None:
            raise MonthPublished()
        if RankingMonth.objects.filter(month__gt=month, published_at__isnull=False).exists():
            raise LaterMonthPublished()
        # The latest version of the month before: a correction published earlier is
        # what the next month follows (docs/cadres-corrections.md).
        previous = (
            RankingMonth.objects.filter(month__lt=month, published_at__isnull=False)
            .order_by("-month", "-version")
            .first()
        )
        now = timezone.now()
        ranking.held_at_cutoff = _month_held(month, cutoff=now)
        _compile_into(ranking, cutoff=now, excluded_by=now, held=ranking.held_at_cutoff)
        # The compile turned it off for itself; a publication waits for the disk.
        with connection.cursor() as cursor:
            cursor.execute(_DISK_WAIT_ON_SQL)
        ranking.previous_digest = previous.digest if previous else ""
        ranking.digest = selectors.ranking_digest(
            ranking=ranking, previous_digest=ranking.previous_digest
        )
        ranking.published_at = now
        ranking.cutoff = now
        ranking.save(
            update_fields=["previous_digest", "digest", "published_at", "cutoff", "held_at_cutoff"]
        )
        bottom_record(ranking=ranking)
        RANKINGS.changed()
        audit.record(
            actor,
            "ranking.publish",
            ranking,
            summary={"after": {"month": f"{month:%Y-%m}", "version": 1, "digest": ranking.digest}},
        )
    return ranking


# --- The bottom's warnings, moved on by admins (recorded in rankings/bottom.py) ---------

WARNING_MOVES: dict[str, set[str]] = {
    BottomWarning.State.OPEN: {BottomWarning.State.TALK_HELD, BottomWarning.State.CLOSED},
    BottomWarning.State.TALK_HELD: {BottomWarning.State.CLOSED},
    BottomWarning.State.CLOSED: set(),
    BottomWarning.State.WITHDRAWN: set(),  # a correction's, final
}


MAX_NOTE = 1000


def bottom_warning_change(*, warning: BottomWarning, state: str, note: str, actor) -> BottomWarning:
    """Move a warning on (open -> talk held -> closed; closing needs a note), recording who
    and when. District admins for every warning, a unit admin for its unit's."""
    if not cadres_permissions.can_manage_unit(user=actor, unit_id=warning.unit_id):
        raise Forbidden()
    refuse_party(permissions.party_to_warning(user=actor, warning=warning))
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(fields={"note": [_("At most %(count)d characters.") % {"count": MAX_NOTE}]})
    if state == BottomWarning.State.CLOSED and not note:
        raise Invalid(fields={"note": [_("Say how the warning was closed.")]})
    allowed = WARNING_MOVES.get(warning.state, set())
    if state not in allowed:
        raise WarningStateInvalid()
    before = warning.state
    with transaction.atomic():
        # Conditional: two admins at once move it once.
        changed = BottomWarning.objects.filter(pk=warning.pk, state=warning.state).update(
            state=state, note=note or warning.note, changed_at=timezone.now(), changed_by=actor
        )
        if not changed:
            raise WarningStateInvalid()
        audit.record(
            actor,
            "bottom_warning.change",
            warning,
            summary={"before": {"state": before}, "after": {"state": state}},
        )
    warning.refresh_from_db()
    return warning


def rankings_compile_and_publish(*, month: dt.date, publish: bool) -> RankingMonth:
    """Compile the month, and publish it. Publishing compiles it at its cutoff: a month
    that can be published is compiled once, by the publication; one that cannot yet is
    compiled (for a look) and then refused as before."""
    month = month.replace(day=1)
    if publish and answer_window_closed(month):
        return ranking_month_publish(month=month, compile_missing=True)
    ranking = rankings_compile(month=month)
    if publish:
        ranking = ranking_month_publish(month=month)
    return ranking


def ranking_month_correct(*, month: dt.date) -> RankingMonth | None:
    """Publish a correction of a published month when reviews of it were excluded since
    its latest version: a new version, compiled now, chained to the version it replaces,
    carrying its changes against it (rankings.diffs).

    Idempotent and coalescing: nothing new excluded, nothing published (None); two runs
    at once queue on the month's lock (version 1's row) and the second finds nothing new.
    """
    month = month.replace(day=1)
    with transaction.atomic(durable=True):
        first = RankingMonth.objects.select_for_update().filter(month=month, version=1).first()
        if first is None or first.published_at is None:
            return None
        # There is one: version 1 is published, and locked above.
        latest = RankingMonth.objects.filter(month=month, published_at__isnull=False).latest(
            "version"
        )
        # Every version counts from version 1's cutoff; the months published before there
        # was one have it from their publication (migration 0005_cutoff).
        month_cutoff = first.cutoff or first.published_at
        now = timezone.now()
        if (
            _month_excluded_count(month, cutoff=month_cutoff, excluded_by=now)
            <= latest.excluded_total
        ):
            return None
        # Counted as the version it replaces was (RANKINGS_VERIFIED_ONLY then), from the
        # same cutoff, less every exclusion known now.
        ranking = RankingMonth.objects.create(
            month=month,
            version=latest.version + 1,
            compiled_at=now,
            corrected_at=now,
            verified_only=latest.verified_only,
            cutoff=month_cutoff,
            held_at_cutoff=first.held_at_cutoff,
        )
        _compile_into(
            ranking,
            cutoff=month_cutoff,
            excluded_by=now,
            held=first.held_at_cutoff,
            roster=first.pk,
        )
        # The compile turned it off for itself; a publication waits for the disk.
        with connection.cursor() as cursor:
            cursor.execute(_DISK_WAIT_ON_SQL)
        ranking.excluded_reviews = ranking.excluded_total - latest.excluded_total
        # The new version's lines read once, for the diff and the digest.
        rows = selectors.ranking_lines(ranking=ranking)
        ranking.changes = [
            change.to_json()
            for change in diffs.compute(old=selectors.ranking_lines(ranking=latest), new=rows)
        ]
        ranking.previous_digest = latest.digest
        ranking.digest = selectors.ranking_digest(
            ranking=ranking, previous_digest=latest.digest, rows=rows
        )
        ranking.published_at = now
        ranking.save(
            update_fields=[
                "excluded_reviews",
                "changes",
                "previous_digest",
                "digest",
                "published_at",
            ]
        )
        # The bottom follows the latest version: this month's and every later one's.
        bottom_follow(correction=ranking)
        RANKINGS.changed()
        audit.record(
            None,
            "ranking.correct",
            ranking,
            summary={
                "before": {"version": latest.version},
                "after": {"version": ranking.version, "excluded": ranking.excluded_reviews},
            },
        )
    return ranking
