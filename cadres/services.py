"""Writes of the cadres app: role links, badge codes, reviews and answers, rankings."""

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from core.errors import Invalid
from core.timezones import LOCAL_TZ
from notifications import kinds as notification_kinds
from notifications.services import notify
from points.services import review_points_award

from . import rankings, selectors
from .cache import RANKINGS
from .errors import (
    AlreadyResponded,
    AlreadyReviewedToday,
    CadreInactive,
    LaterMonthPublished,
    MonthNotCompiled,
    MonthNotEnded,
    MonthPublished,
    NotResponded,
    SelfReview,
    VerdictAlreadyGiven,
)
from .models import Cadre, RankingEntry, RankingMonth, Review, Unit, UnitMembership

MAX_COMMENT = 500
MAX_RESPONSE = 1000
OVERDUE_AFTER = dt.timedelta(hours=72)
# The cadre is reminded when this much of the 72 hours is left.
ANSWER_DUE_WARNING = dt.timedelta(hours=24)


def unit_membership_grant(*, user, object_id: int, role: str) -> UnitMembership:
    """grant_role --unit: the user acts for that unit in `role`."""
    if role not in (Role.UNIT_ADMIN, Role.URBAN_OFFICER):
        raise LookupError(_("--unit goes with the roles unit_admin and urban_officer."))
    unit = Unit.objects.filter(pk=object_id).first()
    if unit is None:
        raise LookupError(_("No unit with id %(id)s.") % {"id": object_id})
    membership, _created = UnitMembership.objects.get_or_create(user=user, unit=unit, role=role)
    return membership


def cadre_link_user(*, user, object_id: int, role: str) -> Cadre:
    """grant_role --cadre: the user signs in as that cadre (one user per cadre)."""
    cadre = Cadre.objects.filter(pk=object_id).first()
    if cadre is None:
        raise LookupError(_("No cadre with id %(id)s.") % {"id": object_id})
    Cadre.objects.filter(user=user).exclude(pk=cadre.pk).update(user=None)
    cadre.user = user
    cadre.save(update_fields=["user"])
    return cadre


# --- Badge codes -----------------------------------------------------------------------


def cadre_code_rotate(*, cadre: Cadre, actor) -> Cadre:
    """A new badge code: the version goes up, so every printed older badge stops resolving.
    `actor` (who asked, in the admin or the API) is recorded with the time."""
    cadre.rotate_code(actor=actor)
    return cadre


# --- Reviews ---------------------------------------------------------------------------


def _validated_review_input(*, rating, tags, comment) -> tuple[int, list[str], str]:
    """The service's own guard: callers other than the API (stalls, admin) get 400s too."""
    fields = {}
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 5:
        fields["rating"] = [_("Give a rating from 1 to 5.")]
    tags = list(tags or ())
    if any(tag not in Review.Tag.values for tag in tags) or len(tags) > len(Review.Tag.values):
        fields["tags"] = [_("Unknown tag.")]
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        fields["comment"] = [
            _("At most %(count)d characters.") % {"count": MAX_COMMENT},
        ]
    if fields:
        raise Invalid(fields=fields)
    # Each tag once, in the fixed list's order.
    return rating, [tag for tag in Review.Tag.values if tag in tags], comment


def review_create(
    *, cadre: Cadre, reviewer, rating: int, tags: list[str] = (), comment: str = ""
) -> Review:
    """The one way to create a review (residents through a badge, vendors through stalls).

    The scanned code is the caller's business (the badge endpoint checks it). Here: the
    cadre takes reviews, nobody reviews themselves, one review per reviewer per cadre per
    Asia/Shanghai day (a UNIQUE constraint), and the review's points are awarded in the
    same transaction.
    """
    rating, tags, comment = _validated_review_input(rating=rating, tags=tags, comment=comment)
    if not cadre.active:
        raise CadreInactive()
    if cadre.user_id is not None and cadre.user_id == reviewer.pk:
        raise SelfReview()
    now = timezone.now()
    review = Review(
        cadre=cadre,
        reviewer=reviewer,
        rating=rating,
        tags=tags,
        comment=comment,
        created_at=now,
        local_date=timezone.localtime(now, LOCAL_TZ).date(),
        # What a review earns, written with the row; corrected below when the day is capped.
        points_awarded=settings.REVIEW_POINTS,
    )
    # No savepoint: nothing in here is caught; an error rolls back the caller's transaction.
    with transaction.atomic(savepoint=False):
        inserted = _review_insert(review)
        if inserted:
            points = review_points_award(review_id=review.pk, resident=reviewer)
            if points != review.points_awarded:
                review.points_awarded = points
                Review.objects.filter(pk=review.pk).update(points_awarded=points)
            if review.is_bad:
                # The cadre is told of the review, never of its reviewer.
                notify(
                    user_id=cadre.user_id,
                    kind="review_bad",
                    key=review.pk,
                    params={"rating": rating},
                    link=f"/api/v1/reviews/{review.pk}/response",
                    now=now,
                )
    if not inserted:
        # Raised outside the block: a caller's own transaction is left usable.
        raise AlreadyReviewedToday()
    return review


def _review_insert(review: Review) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING: the UNIQUE (reviewer, cadre, local_date) answers
    a second review of the day, and a twin request waits for the first and finds it, all
    without a savepoint. False when the day's review exists."""
    meta = Review._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    unique = [meta.get_field(name).column for name in ("reviewer", "cadre", "local_date")]
    sql = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (model metadata only)
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        f"ON CONFLICT ({', '.join(map(quote, unique))}) DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    params = [field.get_db_prep_save(field.pre_save(review, True), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    review.pk = row[0]
    review._state.adding = False
    review._state.db = connection.alias
    return True


def review_respond(*, review: Review, responder, message: str) -> Review:
    """The cadre's (or the unit admin's) answer to a review, once."""
    message = (message or "").strip()
    if not message or len(message) > MAX_RESPONSE:
        raise Invalid(
            fields={"message": [_("Write 1 to %(count)d characters.") % {"count": MAX_RESPONSE}]}
        )
    now = timezone.now()
    with transaction.atomic():
        # One conditional UPDATE: two answers at once leave exactly one.
        updated = Review.objects.filter(pk=review.pk, responded_at__isnull=True).update(
            response_message=message, responded_at=now, responder=responder
        )
        if not updated:
            raise AlreadyResponded()
        review.refresh_from_db()
        notify(
            user_id=review.reviewer_id,
            kind="review_answered",
            key=review.pk,
            params={"cadre": review.cadre.name},
            link=f"/api/v1/reviews/{review.pk}/verdict",
            now=now,
        )
    return review


def review_verdict(*, review: Review, reviewer, accepted: bool) -> Review:
    """The reviewer accepts or rejects the answer, once (the view checks it is the
    reviewer: cadres.permissions.is_reviewer_of)."""
    if review.responded_at is None:
        raise NotResponded()
    with transaction.atomic():
        updated = Review.objects.filter(
            pk=review.pk, responded_at__isnull=False, verdict_at__isnull=True
        ).update(verdict_accepted=bool(accepted), verdict_at=timezone.now())
        if not updated:
            raise VerdictAlreadyGiven()
        review.refresh_from_db()
        notify(
            user_id=review.cadre.user_id,
            kind="review_verdict",
            key=review.pk,
            params={
                "rating": review.rating,
                "verdict": notification_kinds.each_language(
                    gettext_lazy("accepted")
                    if review.verdict_accepted
                    else gettext_lazy("rejected")
                ),
            },
            link="/api/v1/cadre/reviews",
        )
    return review


def review_exclude(*, review_id: int, reason: str, now: dt.datetime | None = None) -> bool:
    """Mark a kept review as not counting, with why (an `Exclusion`); once.

    The one way a review leaves the rankings: appeals, moderation and the colleague
    rule all call it inside their own transaction, where they record who decided and
    why. Returns False when the review was already excluded (the first reason stays).
    """
    return bool(
        Review.objects.filter(pk=review_id, excluded_reason="").update(
            excluded_reason=reason, excluded_at=now or timezone.now()
        )
    )


def reviews_mark_overdue(*, now: dt.datetime | None = None) -> int:
    """Record bad reviews still unanswered 72 hours on, and tell their cadres; returns
    how many were new."""
    now = now or timezone.now()
    with transaction.atomic():
        overdue = list(
            Review.objects.select_for_update(of=("self",))
            .filter(
                rating__lte=2,
                responded_at__isnull=True,
                overdue_at__isnull=True,
                created_at__lte=now - OVERDUE_AFTER,
            )
            .values_list("pk", "rating", "local_date", "cadre__user_id")
        )
        Review.objects.filter(pk__in=[row[0] for row in overdue]).update(overdue_at=now)
        for pk, rating, day, user_id in overdue:
            notify(
                user_id=user_id,
                kind="review_overdue",
                key=pk,
                params={"rating": rating, "date": day.isoformat()},
                link=f"/api/v1/reviews/{pk}/response",
                now=now,
            )
    return len(overdue)


def reviews_notify_answer_due(*, now: dt.datetime | None = None) -> int:
    """Tell the cadres of bad reviews unanswered 48 hours on that 24 hours remain
    (hourly; each review once: the event key). Returns how many were told now."""
    now = now or timezone.now()
    due = Review.objects.filter(
        rating__lte=2,
        responded_at__isnull=True,
        overdue_at__isnull=True,
        created_at__lte=now - OVERDUE_AFTER + ANSWER_DUE_WARNING,
        created_at__gt=now - OVERDUE_AFTER,
        cadre__user__isnull=False,
    ).values_list("pk", "rating", "local_date", "cadre__user_id")
    told = 0
    for pk, rating, day, user_id in due:
        with transaction.atomic():
            told += bool(
                notify(
                    user_id=user_id,
                    kind="review_answer_due",
                    key=pk,
                    params={"rating": rating, "date": day.isoformat()},
                    link=f"/api/v1/reviews/{pk}/response",
                    now=now,
                )
            )
    return told


# --- Rankings --------------------------------------------------------------------------


def month_counts(*, month: dt.date) -> dict[int, rankings.Counts]:
    """Counts per cadre for the month: one grouped query with conditional counts."""
    bad = Q(rating__lte=2)
    answered = Q(responded_at__isnull=False)
    rows = (
        Review.objects.filter(local_date__gte=month, local_date__lt=rankings.next_month(month))
        .filter(excluded_reason="")
        .order_by()
        .values("cadre_id")
        .annotate(
            n=Count("id"),
            satisfied=Count("id", filter=Q(rating__gte=4)),
            bad=Count("id", filter=bad),
            bad_answered=Count("id", filter=bad & answered),
            verdicts=Count("id", filter=Q(verdict_at__isnull=False)),
            rejected=Count("id", filter=Q(verdict_accepted=False)),
        )
        .values_list("cadre_id", "n", "satisfied", "bad", "bad_answered", "verdicts", "rejected")
    )
    return {row[0]: rankings.Counts(*row[1:]) for row in rows}


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
]


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
    )


def _store_entries(rows: list[tuple]) -> None:
    """Insert a snapshot's entries: COPY on PostgreSQL (5,000 rows in milliseconds)."""
    if connection.vendor == "postgresql":
        table = RankingEntry._meta.db_table
        with connection.cursor() as cursor:
            sql = f"COPY {table} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN"
            with cursor.cursor.copy(sql) as copy:
                for row in rows:
                    copy.write_row(row)
        return
    RankingEntry.objects.bulk_create(
        [RankingEntry(**dict(zip(ENTRY_COLUMNS, row, strict=True))) for row in rows],
        batch_size=500,
    )


def rankings_compile(*, month: dt.date, python: bool = False) -> RankingMonth:
    """Compile (or compile again) the month's snapshot: every scope, replaced at once.

    Idempotent: the month's row is locked for the whole compile, so two workers at once
    run one after the other and leave one result. A published month is refused.
    On PostgreSQL the database computes and stores it in one statement
    (rankings.COMPILE_SQL); elsewhere, or with `python=True`, the grouped counts come
    back and rankings.figures/rank_lines do the rest. Both give the same entries.
    """
    month = month.replace(day=1)
    if month > rankings.local_today():
        raise Invalid(fields={"month": [_("This month has not started yet.")]})
    with transaction.atomic():
        RankingMonth.objects.get_or_create(month=month, defaults={"compiled_at": timezone.now()})
        ranking = RankingMonth.objects.select_for_update().get(month=month)
        if ranking.published_at is not None:
            raise MonthPublished()
        if connection.vendor == "postgresql" and not python:
            RankingEntry.objects.filter(ranking=ranking).delete()
            _compile_in_postgres(ranking)
            ranking.compiled_at = timezone.now()
            ranking.save(update_fields=["compiled_at"])
            return ranking
        counts = month_counts(month=month)
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
        unit_counts = {unit_id: rankings.Counts() for unit_id in units}
        for cadre in cadres:
            c = counts.get(cadre.pk, rankings.Counts())
            unit_counts[cadre.unit_id] += c
            cadre_lines[cadre.pk] = rankings.Line(
                key=cadre.pk, name=cadre.name, counts=c, figures=rankings.figures(c)
            )
        cadre_by_pk = {c.pk: c for c in cadres}

        entries = []
        unit_lines = [
            rankings.Line(key=uid, name=units[uid].name, counts=c, figures=rankings.figures(c))
            for uid, c in unit_counts.items()
        ]
        for line in rankings.rank_lines(unit_lines):
            entries.append(
                _entry(
                    ranking, RankingEntry.Scope.UNIT, line, unit_id=line.key, unit_name=line.name
                )
            )
        # Each unit ranks its own cadres first: fresh Line objects, since rank_lines
        # sets rank and bottom on the lines it is given.
        by_unit: dict[int, list] = {}
        for cadre in cadres:
            line = cadre_lines[cadre.pk]
            by_unit.setdefault(cadre.unit_id, []).append(
                rankings.Line(
                    key=line.key, name=line.name, counts=line.counts, figures=line.figures
                )
            )
        within = {
            line.key: line for lines in by_unit.values() for line in rankings.rank_lines(lines)
        }
        for line in rankings.rank_lines(list(cadre_lines.values())):
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
        ranking.save(update_fields=["compiled_at"])
    return ranking


def _compile_in_postgres(ranking: RankingMonth) -> None:
    """rankings.COMPILE_SQL computes every entry as a plain query, which PostgreSQL may
    run in parallel (an INSERT ... SELECT never is); its rows come out with COPY and go
    back in with COPY, as text, without being parsed here."""
    params = {
        "ranking": ranking.pk,
        "start": ranking.month,
        "end": rankings.next_month(ranking.month),
        "min_reviews": rankings.MIN_REVIEWS,
        "bottom_divisor": rankings.BOTTOM_DIVISOR,
    }
    table = RankingEntry._meta.db_table
    with connection.cursor() as cursor:
        # A compile can always be run again, and publishing (a later, synchronous
        # commit) flushes it to disk first: its own commit need not wait for the disk.
        cursor.execute("SET LOCAL synchronous_commit = off")
        with cursor.cursor.copy(rankings.COMPILE_COPY_SQL, params) as copy_out:
            data = b"".join(bytes(block) for block in copy_out)
        with cursor.cursor.copy(f"COPY {table} ({', '.join(ENTRY_COLUMNS)}) FROM STDIN") as copy_in:
            copy_in.write(data)


def ranking_month_publish(*, month: dt.date) -> RankingMonth:
    """Freeze a compiled, ended month and seal it with its digest, chained to the last one."""
    month = month.replace(day=1)
    if not rankings.month_has_ended(month):
        raise MonthNotEnded()
    with transaction.atomic():
        ranking = RankingMonth.objects.select_for_update().filter(month=month).first()
        if ranking is None:
            raise MonthNotCompiled()
        if ranking.published_at is not None:
            raise MonthPublished()
        if RankingMonth.objects.filter(month__gt=month, published_at__isnull=False).exists():
            raise LaterMonthPublished()
        previous = (
            RankingMonth.objects.filter(month__lt=month, published_at__isnull=False)
            .order_by("-month")
            .first()
        )
        ranking.previous_digest = previous.digest if previous else ""
        ranking.digest = selectors.ranking_digest(
            ranking=ranking, previous_digest=ranking.previous_digest
        )
        ranking.published_at = timezone.now()
        ranking.save(update_fields=["previous_digest", "digest", "published_at"])
        RANKINGS.changed()
    return ranking


def rankings_compile_and_publish(*, month: dt.date, publish: bool) -> RankingMonth:
    ranking = rankings_compile(month=month)
    if publish:
        ranking = ranking_month_publish(month=month)
    return ranking
