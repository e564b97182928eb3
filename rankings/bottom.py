"""The bottom and what it brings: each published month's streaks (months in a row in the
bottom 10 % of a district scope) and the warnings they support, always as of the latest
version of every month. Publication records a month; a correction records its month and
every later published month again, withdrawing the warnings the corrected streaks no
longer support and opening those they newly support (docs/cadres-corrections.md)."""

import datetime as dt

from django.db import connection, transaction
from django.utils import timezone

from cadres.models import Cadre
from core.months import previous_month
from notifications import kinds as notification_kinds
from notifications.services import notify

from . import selectors
from .models import BottomStreak, BottomWarning, RankingEntry, RankingMonth

BOTTOM_SCOPES = (RankingEntry.Scope.UNIT, RankingEntry.Scope.CADRE)


TALK_AFTER = 2  # months in a row in the bottom 10 %: a warning talk


POST_REVIEW_AFTER = 3  # and more: listed for a post review


# One bottom is recorded at a time: a month's streaks read every earlier month's latest
# version, so a publication and a correction of an earlier month (each under its own
# month's lock) would otherwise each miss what the other is writing. Taken last, after
# any month's row lock, so it never waits in a circle.
_BOTTOM_LOCK_SQL = "SELECT pg_advisory_xact_lock(8712021)"


def _lock_the_bottom() -> None:
    with connection.cursor() as cursor:
        cursor.execute(_BOTTOM_LOCK_SQL)


def _subject(scope: str, unit_id: int, cadre_id: int | None) -> tuple:
    """Who a streak or a warning is about: a cadre who moved to another unit keeps it."""
    return (scope, cadre_id or unit_id)


def _bottom_keys(ranking: RankingMonth) -> dict[tuple, RankingEntry]:
    """The month's bottom entries (district scopes), by subject."""
    rows = ranking.entries.filter(scope__in=BOTTOM_SCOPES, bottom=True)
    return {_subject(e.scope, e.unit_id, e.cadre_id): e for e in rows}


def _kind(months: int) -> str | None:
    if months >= POST_REVIEW_AFTER:
        return BottomWarning.Kind.POST_REVIEW
    if months >= TALK_AFTER:
        return BottomWarning.Kind.TALK
    return None


def bottom_record(*, ranking: RankingMonth, by: RankingMonth | None = None) -> list[BottomWarning]:
    """Record `ranking`'s month (`ranking` is its latest published version): each bottom
    cadre's and unit's months in a row in the bottom 10 % (counted back over the latest
    versions of published months without a gap), stored against `ranking`, and the
    warnings they support: a warning talk at TALK_AFTER, a post review listing from
    POST_REVIEW_AFTER. Returns the month's standing warnings.

    A standing warning of the month that the streaks no longer support is withdrawn by
    `by` (the correction being published; `ranking` itself by default) and its cadre is
    told; one they support is kept as it is (its state and note included), its streak
    brought up to date; one they newly support is opened and its cadre told. Idempotent:
    recording a month again changes nothing and tells nobody twice."""
    with transaction.atomic():
        _lock_the_bottom()
        streaks, current = _streaks(ranking)
        BottomStreak.objects.filter(ranking=ranking).delete()
        BottomStreak.objects.bulk_create(
            BottomStreak(
                ranking=ranking,
                scope=current[key].scope,
                unit_id=current[key].unit_id,
                cadre_id=current[key].cadre_id,
                name=current[key].name,
                months=months,
            )
            for key, months in streaks.items()
        )
        return _warnings_follow(ranking, streaks, current, by=by or ranking)


def _streaks(ranking: RankingMonth) -> tuple[dict[tuple, int], dict[tuple, RankingEntry]]:
    current = _bottom_keys(ranking)
    streaks = dict.fromkeys(current, 1)
    alive = set(current)
    month = ranking.month
    while alive:
        month = previous_month(month)
        earlier = selectors.latest_published_version(month=month)
        if earlier is None:
            break
        alive &= set(_bottom_keys(earlier))
        for key in alive:
            streaks[key] += 1
    return streaks, current


def _warnings_follow(
    ranking: RankingMonth,
    streaks: dict[tuple, int],
    current: dict[tuple, RankingEntry],
    *,
    by: RankingMonth,
) -> list[BottomWarning]:
    now = timezone.now()
    supported = {(kind, key): months for key, months in streaks.items() if (kind := _kind(months))}
    # Every version's standing warnings of the month: one recorded on version 1 stays
    # that row while a later version still supports it.
    standing = {
        (w.kind, _subject(w.scope, w.unit_id, w.cadre_id)): w
        for w in BottomWarning.objects.filter(ranking__month=ranking.month)
        .exclude(state=BottomWarning.State.WITHDRAWN)
        .select_related("ranking")
    }
    for found, warning in standing.items():
        if found not in supported:
            _withdraw(warning, by=by, now=now)
        elif warning.streak != supported[found]:
            warning.streak = supported[found]
            BottomWarning.objects.filter(pk=warning.pk).update(streak=warning.streak)
    warnings = []
    for (kind, key), months in sorted(supported.items()):
        kept = standing.get((kind, key))
        if kept is not None:
            warnings.append(kept)
            continue
        entry = current[key]
        warning = BottomWarning.objects.create(
            ranking=ranking,
            kind=kind,
            scope=entry.scope,
            unit_id=entry.unit_id,
            cadre_id=entry.cadre_id,
            name=entry.name,
            streak=months,
            created_at=now,
        )
        _notify_warning(warning=warning, month=ranking.month, now=now)
        warnings.append(warning)
    return warnings


def _withdraw(warning: BottomWarning, *, by: RankingMonth, now: dt.datetime) -> None:
    """Mark a warning withdrawn by the correction `by`, whatever state an admin has moved
    it to (its note stays), and tell its cadre once."""
    withdrawn = (
        BottomWarning.objects.filter(pk=warning.pk)
        .exclude(state=BottomWarning.State.WITHDRAWN)
        .update(
            state=BottomWarning.State.WITHDRAWN, withdrawn_by=by, changed_at=now, changed_by=None
        )
    )
    if not withdrawn:
        return
    _notify_cadre(
        warning=warning,
        kind="warning_withdrawn",
        params={
            "warning": notification_kinds.each_language(BottomWarning.Kind(warning.kind).label),
            "month": f"{warning.ranking.month:%Y-%m}",
            "corrected": f"{by.month:%Y-%m}",
            "version": by.version,
        },
        now=now,
    )


def _notify_warning(*, warning: BottomWarning, month: dt.date, now: dt.datetime) -> None:
    """The cadre (when they have an account) hears of a new warning once (its id)."""
    _notify_cadre(
        warning=warning,
        kind="warning_issued",
        params={
            "warning": notification_kinds.each_language(BottomWarning.Kind(warning.kind).label),
            "months": warning.streak,
            "month": f"{month:%Y-%m}",
        },
        now=now,
    )


def _notify_cadre(*, warning: BottomWarning, kind: str, params: dict, now: dt.datetime) -> None:
    if warning.cadre_id is None:  # a unit's warning: no one person to tell
        return
    notify(
        user_id=Cadre.objects.filter(pk=warning.cadre_id).values_list("user_id", flat=True).first(),
        kind=kind,
        key=warning.pk,
        params=params,
        link="/api/v1/cadre/reviews",
        now=now,
    )


def bottom_follow(*, correction: RankingMonth) -> None:
    """After a correction is published: its month's bottom and every later published
    month's, each from its latest version, in month order (in the correction's
    transaction: the streaks and warnings change with the version, or not at all)."""
    with transaction.atomic():
        _lock_the_bottom()
        bottom_record(ranking=correction, by=correction)
        later = (
            RankingMonth.objects.filter(month__gt=correction.month, published_at__isnull=False)
            .order_by("month", "-version")
            .distinct("month")
        )
        for ranking in later:
            bottom_record(ranking=ranking, by=correction)
