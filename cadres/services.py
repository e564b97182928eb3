"""Writes of the cadres app: role links, badge codes, reviews and answers, rankings."""

import datetime as dt

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role
from core.errors import Forbidden, Invalid, or_404
from core.parties import refuse_party
from core.timezones import LOCAL_TZ
from notifications import kinds as notification_kinds
from notifications.services import notify
from points import ledger
from points.errors import InactiveUser
from points.models import Account
from points.services import TakenBack, review_points_award, review_points_take_back

from . import codes, fraud, permissions, rankings, selectors, workdays
from .cache import RANKINGS
from .errors import (
    AlreadyResponded,
    AlreadyReviewedToday,
    AppealAlreadyDecided,
    AppealExists,
    AppealWindowClosed,
    CadreInactive,
    FlagAlreadyDecided,
    LaterMonthPublished,
    MonthNotCompiled,
    MonthNotEnded,
    MonthPublished,
    NotResponded,
    ReviewByColleague,
    SelfReview,
    TicketExpired,
    TicketOtherCadre,
    VerdictAlreadyGiven,
    WarningStateInvalid,
)
from .models import (
    Appeal,
    BottomStreak,
    BottomWarning,
    Cadre,
    Exclusion,
    FlagRule,
    RankingEntry,
    RankingMonth,
    Review,
    ReviewFlag,
    ServiceTicket,
    Unit,
    UnitMembership,
)

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
    *,
    cadre: Cadre,
    reviewer,
    rating: int,
    tags: list[str] = (),
    comment: str = "",
    device_id: str = "",
    address: str = "",
    assisted: bool = False,
    ticket: ServiceTicket | None = None,
) -> Review:
    """The one way to create a review (residents through a badge or a service ticket,
    vendors through stalls). `reviewer` may be the API's token user (its `pk` only): the
    INSERT checks the account exists and is active (InactiveUser otherwise).

    The scanned code is the caller's business (the badge endpoint checks it). Here: the
    cadre takes reviews, nobody reviews themselves, no colleague (a cadre or staff of the
    cadre's unit: 403 `review_by_colleague`, nothing written), one review per reviewer
    per cadre per Asia/Shanghai day (a UNIQUE constraint), and the review's points are
    awarded in the same transaction. `device_id` (X-Device-Id, or the page's cookie) and
    `address` (the client's) are stored as keyed hashes for the fraud rules, whose
    cheap ones flag the review here (cadres/fraud.py). A reviewer whose phone no SMS has
    confirmed (an account a service desk made from an ID check alone) earns no points,
    and the review is held out of the rankings (Exclusion.UNCONFIRMED, flagged
    `unconfirmed`) until a moderator decides it. `assisted`: a service desk agent
    filed it for the reviewer. With a `ticket` (proof of presence) the review is verified
    and the ticket is used in the same transaction, by one conditional UPDATE: of two
    reviews with one ticket at once exactly one commits; the other is TicketUsed and
    leaves nothing.
    """
    rating, tags, comment = _validated_review_input(rating=rating, tags=tags, comment=comment)
    if ticket is not None and ticket.cadre_id != cadre.pk:
        raise TicketOtherCadre()
    if not cadre.active:
        raise CadreInactive()
    reviewer_id = int(reviewer.pk)
    if cadre.user_id is not None and cadre.user_id == reviewer_id:
        raise SelfReview()
    now = timezone.now()
    review = Review(
        cadre=cadre,
        reviewer_id=reviewer_id,
        rating=rating,
        tags=tags,
        comment=comment,
        assisted=assisted,
        created_at=now,
        local_date=timezone.localtime(now, LOCAL_TZ).date(),
        # What a review earns, written with the row; corrected below when the day is capped.
        points_awarded=settings.REVIEW_POINTS,
        device_hash=fraud.device_hash(device_id),
        address_hash=fraud.address_hash(address),
        verified=ticket is not None,
    )
    # No savepoint: nothing in here is caught; an error rolls back the caller's transaction.
    with transaction.atomic(savepoint=False):
        refusal, counts, account = _review_insert(review, unit_id=cadre.unit_id)
        if counts is not None and ticket is not None:
            _ticket_use(ticket=ticket, review=review, now=now)
        if counts is not None and review.excluded_reason != Exclusion.UNCONFIRMED:
            points = review_points_award(review_id=review.pk, resident=reviewer, account=account)
            if points != review.points_awarded:
                review.points_awarded = points
                Review.objects.filter(pk=review.pk).update(points_awarded=points)
        if counts is not None:
            fraud.flags_add(fraud.submission_flags(review=review, counts=counts))
            if ticket is not None:
                # A verified review arrived: neither its rating nor the ticket (the cadre
                # knows whom they served with which ticket), nor a link to the review.
                notify(
                    user_id=cadre.user_id,
                    kind="ticket_review",
                    key=review.pk,
                    link="/api/v1/cadre/reviews",
                    now=now,
                )
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
    if counts is None:
        # Raised outside the block: a caller's own transaction is left usable.
        if refusal == "inactive":
            raise InactiveUser()
        if refusal == "colleague":
            raise ReviewByColleague()
        raise AlreadyReviewedToday()
    return review


def _ticket_use(*, ticket: ServiceTicket, review: Review, now: dt.datetime) -> None:
    """Mark the ticket used by `review`, or raise (inside the review's transaction, so the
    review and its points go too). The UPDATE's row lock makes a second review with the
    same ticket wait for the first, then find it used."""
    used = ServiceTicket.objects.filter(
        pk=ticket.pk, cadre_id=review.cadre_id, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now, review=review)
    if not used:
        codes.ticket_check(ServiceTicket.objects.get(pk=ticket.pk))
        raise TicketExpired()
    ticket.used_at, ticket.review = now, review


def ticket_issue(*, cadre: Cadre, issued_by) -> ServiceTicket:
    """A one-time service ticket of `cadre`, valid SERVICE_TICKET_HOURS (who may issue it,
    the cadre or its unit's window, is checked by cadres.permissions.can_issue_ticket)."""
    if not cadre.active:
        raise CadreInactive()
    now = timezone.now()
    return ServiceTicket.objects.create(
        cadre=cadre,
        issued_by=issued_by,
        issued_at=now,
        expires_at=now + dt.timedelta(hours=settings.SERVICE_TICKET_HOURS),
    )


def _review_insert(review: Review, *, unit_id: int) -> tuple[str, tuple | None, Account | None]:
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING: the UNIQUE (reviewer, cadre,
    local_date) answers a second review of the day, and a twin request waits for the
    first and finds it, all without a savepoint; the SELECT refuses a reviewer whose
    account is gone or inactive (the API authenticates by the token alone) and a
    colleague of the cadre (a cadre or staff of the unit).

    Returns (refusal, counts, account): counts is None when nothing was inserted, and
    refusal then says why ("inactive", "colleague", or "" for the day's review already
    there); otherwise the counts of the submission's fraud rules
    (fraud.SUBMISSION_COUNTS). The same guard holds the review of a reviewer whose
    phone is not confirmed (no points, Exclusion.UNCONFIRMED), in the INSERT itself. On PostgreSQL it is one statement: the guard in a CTE,
    the counts in the RETURNING, and the reviewer's points account created-or-locked
    once the row is in (`account`, for the award; the lock of an earlier statement than
    the award's count, as review_points_award needs). On SQLite the counts, and on a
    refusal the guard, follow as SELECTs, and `account` is None.
    """
    meta = Review._meta
    quote = connection.ops.quote_name
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    unique = [meta.get_field(name).column for name in ("reviewer", "cadre", "local_date")]
    counts_sql = fraud.submission_counts_sql(quote)
    counts_params = fraud.submission_counts_params(review)
    guard_sql = (
        f"SELECT EXISTS (SELECT 1 FROM {quote(User._meta.db_table)} "  # noqa: S608
        "WHERE id = %s AND is_active) AS active, "
        f"(EXISTS (SELECT 1 FROM {quote(UnitMembership._meta.db_table)} "
        "WHERE user_id = %s AND unit_id = %s) "
        f"OR EXISTS (SELECT 1 FROM {quote(Cadre._meta.db_table)} "
        "WHERE user_id = %s AND unit_id = %s)) AS colleague, "
        f"EXISTS (SELECT 1 FROM {quote(User._meta.db_table)} "
        "WHERE id = %s AND phone_verified_at IS NOT NULL) AS verified"
    )
    reviewer_id = review.reviewer_id
    guard_params = [reviewer_id, reviewer_id, unit_id, reviewer_id, unit_id, reviewer_id]
    held = {
        "points_awarded": 0,
        "excluded_reason": Exclusion.UNCONFIRMED,
        "excluded_at": review.created_at,
    }
    columns, values = [], []
    for field in fields:
        value = field.get_db_prep_save(field.pre_save(review, True), connection)
        if field.name in held:
            columns.append("CASE WHEN guard.verified THEN %s ELSE %s END")
            values += [value, field.get_db_prep_save(held[field.name], connection)]
        else:
            columns.append("%s")
            values.append(value)
    insert = (
        f"INSERT INTO {quote(meta.db_table)} "  # noqa: S608 (model metadata only)
        f"({', '.join(quote(field.column) for field in fields)}) "
        f"SELECT {', '.join(columns)} "
    )
    conflict = f"ON CONFLICT ({', '.join(map(quote, unique))}) DO NOTHING "
    pk = quote(meta.pk.column)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            lock_sql, lock_params, account = ledger.resident_account_lock_cte(
                user_id=reviewer_id, when="EXISTS (SELECT 1 FROM ins)"
            )
            cursor.execute(
                f"WITH guard AS ({guard_sql}), "  # noqa: S608
                f"ins AS ({insert} FROM guard WHERE guard.active AND NOT guard.colleague "
                f"{conflict}RETURNING {pk}, {counts_sql}), {lock_sql} "
                "SELECT guard.active, guard.colleague, guard.verified, account_locked.id, "
                "account_locked.balance, ins.* FROM guard LEFT JOIN ins ON true "
                "LEFT JOIN account_locked ON true",
                [*guard_params, *values, *counts_params, *lock_params],
            )
            row = cursor.fetchone()
            active, colleague, verified, account_id, balance, pk_value, *counts = row
            if pk_value is not None:
                account = ledger.resident_account_locked(account, (account_id, balance))
        else:
            cursor.execute(
                f"{insert} FROM ({guard_sql}) guard WHERE guard.active AND NOT guard.colleague "
                f"{conflict}RETURNING {pk}, {quote('excluded_reason')}",
                [*values, *guard_params],
            )
            row = cursor.fetchone()
            pk_value, account = (row[0] if row else None), None  # no lock to carry here
            verified = row is not None and row[1] != Exclusion.UNCONFIRMED
            if pk_value is None:
                cursor.execute(guard_sql, guard_params)
                active, colleague, _verified = cursor.fetchone()
            else:
                cursor.execute(f"SELECT {counts_sql}", counts_params)  # noqa: S608
                counts = cursor.fetchone()
    if pk_value is None:
        if not active:
            return "inactive", None, None
        return ("colleague" if colleague else ""), None, None
    review.pk = pk_value
    if not verified:
        for name, value in held.items():
            setattr(review, name, value)
    review._state.adding = False
    review._state.db = connection.alias
    return "", tuple(counts), account


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
    why. Returns False when the review was already excluded (the first reason stays);
    a review held for moderation (Exclusion.UNCONFIRMED) takes the ground instead.

    A review of a month that has ended (published, or about to be on the 1st) schedules
    a correction of that month once the caller's transaction commits: the task
    publishes a new version when the month's exclusions changed, and several
    exclusions in a row make one version (see tasks.publish_correction).
    """
    excluded = bool(
        Review.objects.filter(pk=review_id, excluded_reason__in=["", Exclusion.UNCONFIRMED]).update(
            excluded_reason=reason, excluded_at=now or timezone.now()
        )
    )
    if excluded:
        local_date = Review.objects.filter(pk=review_id).values_list("local_date", flat=True)[0]
        month = local_date.replace(day=1)
        if rankings.month_has_ended(month):
            label = month.strftime("%Y-%m")
            transaction.on_commit(lambda: _schedule_correction(label))
    return excluded


def _schedule_correction(label: str) -> None:
    from . import tasks  # tasks import this module

    tasks.publish_correction.apply_async(args=[label], countdown=settings.RANKINGS_CORRECTION_DELAY)


# --- Fraud signals and moderation (cadres/fraud.py, docs/review-fraud.md) -------------

MODERATION_GROUNDS = (Exclusion.FRAUD, Exclusion.COLLEAGUE)
MAX_DECISION_REASON = 500


def _open_flags_locked(*, flag_id: int, moderator, reason: str) -> tuple[list, str]:
    """The moderator's check, the reason, and every open flag of the flag's review,
    locked: deciding a review decides all its signals at once. A party to the review
    (permissions.party_to_flag) decides none of them."""
    if not permissions.can_moderate(user=moderator):
        raise Forbidden()
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_DECISION_REASON:
        raise Invalid(
            fields={
                "reason": [_("Write 1 to %(count)d characters.") % {"count": MAX_DECISION_REASON}]
            }
        )
    flag = or_404(ReviewFlag.objects.select_related("review__cadre").filter(pk=flag_id).first())
    refuse_party(permissions.party_to_flag(user=moderator, flag=flag))
    flags = list(
        ReviewFlag.objects.select_for_update()
        .filter(review_id=flag.review_id, state=ReviewFlag.State.OPEN)
        .order_by("pk")
    )
    if not any(f.pk == flag.pk for f in flags):
        raise FlagAlreadyDecided()
    return flags, reason


def review_flag_exclude(
    *, flag_id: int, moderator, reason: str, ground: str = Exclusion.FRAUD
) -> ReviewFlag:
    """A moderator excludes a flagged review from the rankings, with why (audited).

    Ground fraud (the default) also takes the review's points back through the ledger,
    never below zero; what the resident already spent is recorded as the shortfall on
    the flag. Another ground (a colleague found out) leaves the points paid.
    """
    if ground not in MODERATION_GROUNDS:
        raise Invalid(fields={"ground": [_("Choose fraud or colleague.")]})
    with transaction.atomic():
        flags, reason = _open_flags_locked(flag_id=flag_id, moderator=moderator, reason=reason)
        now = timezone.now()
        review_exclude(review_id=flags[0].review_id, reason=ground, now=now)
        taken = TakenBack()
        if ground == Exclusion.FRAUD:
            taken = review_points_take_back(
                review_id=flags[0].review_id, actor=moderator, memo=reason
            )
        for flag in flags:
            flag.state = ReviewFlag.State.EXCLUDED
            flag.decided_by = moderator
            flag.decided_at = now
            flag.decision_reason = reason
            if flag.pk == flag_id:
                flag.points_taken_back = taken.points
                flag.points_shortfall = taken.shortfall
        ReviewFlag.objects.bulk_update(
            flags,
            [
                "state",
                "decided_by",
                "decided_at",
                "decision_reason",
                "points_taken_back",
                "points_shortfall",
            ],
        )
    return next(flag for flag in flags if flag.pk == flag_id)


def review_flag_clear(*, flag_id: int, moderator, reason: str) -> ReviewFlag:
    """A moderator finds nothing wrong: the review counts (audited: who, when, why).

    A review held because its reviewer's phone was not confirmed counts from now on, for
    the months not yet published (a correction only ever excludes); it earns no points.
    """
    with transaction.atomic():
        flags, reason = _open_flags_locked(flag_id=flag_id, moderator=moderator, reason=reason)
        now = timezone.now()
        Review.objects.filter(pk=flags[0].review_id, excluded_reason=Exclusion.UNCONFIRMED).update(
            excluded_reason="", excluded_at=None
        )
        for flag in flags:
            flag.state = ReviewFlag.State.CLEARED
            flag.decided_by = moderator
            flag.decided_at = now
            flag.decision_reason = reason
        ReviewFlag.objects.bulk_update(
            flags, ["state", "decided_by", "decided_at", "decision_reason"]
        )
    return next(flag for flag in flags if flag.pk == flag_id)


def reviews_fraud_scan(*, day: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The nightly pass (beat, 02:30): every rule over `day` (default: yesterday,
    Asia/Shanghai), flags added once per review and rule, and reviews by colleagues
    excluded with a decided colleague flag as the record. Safe to run twice."""
    now = now or timezone.now()
    day = day or timezone.localtime(now, LOCAL_TZ).date() - dt.timedelta(days=1)
    before = ReviewFlag.objects.count()
    fraud.flags_add(fraud.day_flags(day=day, now=now))
    flagged = ReviewFlag.objects.count() - before
    excluded = 0
    for review_id in fraud.colleague_review_ids():
        with transaction.atomic():
            if review_exclude(review_id=review_id, reason=Exclusion.COLLEAGUE, now=now):
                excluded += 1
                ReviewFlag.objects.filter(review_id=review_id, state=ReviewFlag.State.OPEN).update(
                    state=ReviewFlag.State.EXCLUDED, decided_at=now
                )
                fraud.flags_add(
                    [
                        ReviewFlag(
                            review_id=review_id,
                            rule=FlagRule.COLLEAGUE,
                            created_at=now,
                            state=ReviewFlag.State.EXCLUDED,
                            decided_at=now,
                        )
                    ]
                )
    return {"flagged": flagged, "colleague_excluded": excluded}


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


def month_counts(*, month: dt.date, verified_only: bool = False) -> dict[int, rankings.Counts]:
    """Counts per cadre for the month: one grouped query with conditional counts.
    `verified_only` (RANKINGS_VERIFIED_ONLY): only reviews through a service ticket."""
    bad = Q(rating__lte=2)
    answered = Q(responded_at__isnull=False)
    reviews = Review.objects.filter(
        local_date__gte=month, local_date__lt=rankings.next_month(month), excluded_reason=""
    )
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
            verdicts=Count("id", filter=Q(verdict_at__isnull=False)),
            rejected=Count("id", filter=Q(verdict_accepted=False)),
            verified=Count("id", filter=Q(verified=True)),
        )
        .values_list(
            "cadre_id", "n", "satisfied", "bad", "bad_answered", "verdicts", "rejected", "verified"
        )
    )
    return {row[0]: rankings.Counts(*row[1:]) for row in rows}


def month_excluded(*, month: dt.date) -> dict[int, rankings.Excluded]:
    """Per cadre, the month's reviews left out of the figures, by ground (counts only)."""
    rows = (
        Review.objects.filter(local_date__gte=month, local_date__lt=rankings.next_month(month))
        .exclude(excluded_reason="")
        .order_by()
        .values("cadre_id")
        .annotate(
            colleague=Count("id", filter=Q(excluded_reason=Exclusion.COLLEAGUE)),
            appeal=Count("id", filter=Q(excluded_reason=Exclusion.APPEAL)),
            fraud=Count("id", filter=Q(excluded_reason=Exclusion.FRAUD)),
        )
        .values_list("cadre_id", "colleague", "appeal", "fraud")
    )
    return {row[0]: rankings.Excluded(*row[1:]) for row in rows}


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
        # Version 1's row is the month's lock (corrections take it too).
        RankingMonth.objects.get_or_create(
            month=month, version=1, defaults={"compiled_at": timezone.now()}
        )
        ranking = RankingMonth.objects.select_for_update().get(month=month, version=1)
        if ranking.published_at is not None:
            raise MonthPublished()
        ranking.verified_only = settings.RANKINGS_VERIFIED_ONLY
        _compile_into(ranking, python=python)
    return ranking


def _month_excluded_count(month: dt.date) -> int:
    """The month's excluded reviews, held ones aside (not a verdict: a held review that
    is cleared must not hide a later exclusion from the correction's count)."""
    return (
        Review.objects.filter(local_date__gte=month, local_date__lt=rankings.next_month(month))
        .exclude(excluded_reason__in=["", Exclusion.UNCONFIRMED])
        .count()
    )


def _compile_into(ranking: RankingMonth, *, python: bool = False) -> None:
    """Replace `ranking`'s entries with the month's figures now (its row locked by the
    caller). The excluded reviews are counted first: an exclusion committed during the
    compile is then at worst counted in the next correction, never lost from every one."""
    month = ranking.month
    ranking.excluded_total = _month_excluded_count(month)
    if connection.vendor == "postgresql" and not python:
        RankingEntry.objects.filter(ranking=ranking).delete()
        _compile_in_postgres(ranking)
        ranking.compiled_at = timezone.now()
        ranking.save(update_fields=["compiled_at", "verified_only", "excluded_total"])
        return
    counts = month_counts(month=month, verified_only=ranking.verified_only)
    excluded = month_excluded(month=month)
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
    unit_excluded = {unit_id: rankings.Excluded() for unit_id in units}
    for cadre in cadres:
        c = counts.get(cadre.pk, rankings.Counts())
        x = excluded.get(cadre.pk, rankings.Excluded())
        unit_counts[cadre.unit_id] += c
        unit_excluded[cadre.unit_id] += x
        cadre_lines[cadre.pk] = rankings.Line(
            key=cadre.pk, name=cadre.name, counts=c, figures=rankings.figures(c), excluded=x
        )
    cadre_by_pk = {c.pk: c for c in cadres}

    entries = []
    unit_lines = [
        rankings.Line(
            key=uid,
            name=units[uid].name,
            counts=c,
            figures=rankings.figures(c),
            excluded=unit_excluded[uid],
        )
        for uid, c in unit_counts.items()
    ]
    for line in rankings.rank_lines(unit_lines):
        entries.append(
            _entry(ranking, RankingEntry.Scope.UNIT, line, unit_id=line.key, unit_name=line.name)
        )
    # Each unit ranks its own cadres first: fresh Line objects, since rank_lines
    # sets rank and bottom on the lines it is given.
    by_unit: dict[int, list] = {}
    for cadre in cadres:
        line = cadre_lines[cadre.pk]
        by_unit.setdefault(cadre.unit_id, []).append(
            rankings.Line(
                key=line.key,
                name=line.name,
                counts=line.counts,
                figures=line.figures,
                excluded=line.excluded,
            )
        )
    within = {line.key: line for lines in by_unit.values() for line in rankings.rank_lines(lines)}
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
    ranking.save(update_fields=["compiled_at", "verified_only", "excluded_total"])


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
        "verified_only": ranking.verified_only,
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
        ranking = RankingMonth.objects.select_for_update().filter(month=month, version=1).first()
        if ranking is None:
            raise MonthNotCompiled()
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
        ranking.previous_digest = previous.digest if previous else ""
        ranking.digest = selectors.ranking_digest(
            ranking=ranking, previous_digest=ranking.previous_digest
        )
        ranking.published_at = timezone.now()
        ranking.save(update_fields=["previous_digest", "digest", "published_at"])
        bottom_record(ranking=ranking)
        RANKINGS.changed()
    return ranking


# --- The bottom and its consequences ---------------------------------------------------

BOTTOM_SCOPES = (RankingEntry.Scope.UNIT, RankingEntry.Scope.CADRE)
TALK_AFTER = 2  # months in a row in the bottom 10 %: a warning talk
POST_REVIEW_AFTER = 3  # and more: listed for a post review


def _bottom_keys(ranking: RankingMonth) -> dict[tuple, RankingEntry]:
    """The month's bottom entries (district scopes), by (scope, the unit's or the cadre's
    id): a cadre who moved to another unit keeps its streak."""
    rows = ranking.entries.filter(scope__in=BOTTOM_SCOPES, bottom=True)
    return {(e.scope, e.cadre_id or e.unit_id): e for e in rows}


def bottom_record(*, ranking: RankingMonth) -> list[BottomWarning]:
    """On publication: each bottom cadre's and unit's months in a row in the bottom 10 %
    (counted back over published months without a gap) and the warnings they bring: a
    warning talk at TALK_AFTER, a post review listing from POST_REVIEW_AFTER.

    Idempotent: the month's streaks are replaced, a warning already recorded for the
    same subject, month and kind is kept as it is (its state and note included)."""
    current = _bottom_keys(ranking)
    streaks = dict.fromkeys(current, 1)
    alive = set(current)
    month = ranking.month
    while alive:
        month = rankings.previous_month(month)
        earlier = RankingMonth.objects.filter(month=month, published_at__isnull=False).first()
        if earlier is None:
            break
        alive &= set(_bottom_keys(earlier))
        for key in alive:
            streaks[key] += 1
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
    now = timezone.now()
    warnings = []
    for key, months in sorted(streaks.items()):
        if months < TALK_AFTER:
            continue
        kind = (
            BottomWarning.Kind.POST_REVIEW
            if months >= POST_REVIEW_AFTER
            else BottomWarning.Kind.TALK
        )
        entry = current[key]
        warning, created = BottomWarning.objects.get_or_create(
            ranking=ranking,
            kind=kind,
            scope=entry.scope,
            unit_id=entry.unit_id,
            cadre_id=entry.cadre_id,
            defaults={"name": entry.name, "streak": months, "created_at": now},
        )
        if created and warning.scope == RankingEntry.Scope.CADRE:
            _notify_warning(warning=warning, month=ranking.month, now=now)
        warnings.append(warning)
    return warnings


def _notify_warning(*, warning: BottomWarning, month: dt.date, now: dt.datetime) -> None:
    """The cadre (when they have an account) hears of a new warning once (its id)."""
    notify(
        user_id=Cadre.objects.filter(pk=warning.cadre_id).values_list("user_id", flat=True).first(),
        kind="warning_issued",
        key=warning.pk,
        params={
            "warning": notification_kinds.each_language(BottomWarning.Kind(warning.kind).label),
            "months": warning.streak,
            "month": f"{month:%Y-%m}",
        },
        link="/api/v1/cadre/reviews",
        now=now,
    )


WARNING_MOVES = {
    BottomWarning.State.OPEN: {BottomWarning.State.TALK_HELD, BottomWarning.State.CLOSED},
    BottomWarning.State.TALK_HELD: {BottomWarning.State.CLOSED},
    BottomWarning.State.CLOSED: set(),
}
MAX_NOTE = 1000


def bottom_warning_change(*, warning: BottomWarning, state: str, note: str, actor) -> BottomWarning:
    """Move a warning on (open -> talk held -> closed; closing needs a note), recording who
    and when. District admins for every warning, a unit admin for its unit's."""
    if not permissions.can_manage_unit(user=actor, unit_id=warning.unit_id):
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
    # Conditional: two admins at once move it once.
    changed = BottomWarning.objects.filter(pk=warning.pk, state=warning.state).update(
        state=state, note=note or warning.note, changed_at=timezone.now(), changed_by=actor
    )
    if not changed:
        raise WarningStateInvalid()
    warning.refresh_from_db()
    return warning


def rankings_compile_and_publish(*, month: dt.date, publish: bool) -> RankingMonth:
    ranking = rankings_compile(month=month)
    if publish:
        ranking = ranking_month_publish(month=month)
    return ranking


def ranking_month_correct(*, month: dt.date) -> RankingMonth | None:
    """Publish a correction of a published month when reviews of it were excluded since
    its latest version: a new version, compiled now, chained to the version it replaces.

    Idempotent and coalescing: nothing new excluded, nothing published (None); two runs
    at once queue on the month's lock (version 1's row) and the second finds nothing new.
    """
    month = month.replace(day=1)
    with transaction.atomic():
        first = RankingMonth.objects.select_for_update().filter(month=month, version=1).first()
        if first is None or first.published_at is None:
            return None
        latest = (
            RankingMonth.objects.filter(month=month, published_at__isnull=False)
            .order_by("-version")
            .first()
        )
        if _month_excluded_count(month) <= latest.excluded_total:
            return None
        now = timezone.now()
        # Counted as the version it replaces was (RANKINGS_VERIFIED_ONLY then).
        ranking = RankingMonth.objects.create(
            month=month,
            version=latest.version + 1,
            compiled_at=now,
            corrected_at=now,
            verified_only=latest.verified_only,
        )
        _compile_into(ranking)
        if connection.vendor == "postgresql":
            # The compile turned it off for itself; a publication waits for the disk.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit = on")
        ranking.excluded_reviews = ranking.excluded_total - latest.excluded_total
        ranking.previous_digest = latest.digest
        ranking.digest = selectors.ranking_digest(ranking=ranking, previous_digest=latest.digest)
        ranking.published_at = now
        ranking.save(
            update_fields=["excluded_reviews", "previous_digest", "digest", "published_at"]
        )
        RANKINGS.changed()
    return ranking


# --- Appeals ---------------------------------------------------------------------------

APPEAL_WINDOW = dt.timedelta(days=7)
APPEAL_WORKING_DAYS = 5
MIN_APPEAL_REASON = 10
MAX_APPEAL_REASON = 500
MAX_DECISION_REASON = 500


def appeal_create(*, review: Review, appellant, reason: str) -> Appeal:
    """The cadre's (or their unit admin's, checked by the view: permissions.can_appeal)
    appeal against a review, within 7 days of it; one per review (a UNIQUE constraint).
    Due at the end of the 5th working day after today (Asia/Shanghai)."""
    reason = (reason or "").strip()
    if not MIN_APPEAL_REASON <= len(reason) <= MAX_APPEAL_REASON:
        raise Invalid(
            fields={
                "reason": [
                    _("Write %(min)d to %(max)d characters.")
                    % {"min": MIN_APPEAL_REASON, "max": MAX_APPEAL_REASON}
                ]
            }
        )
    now = timezone.now()
    if now - review.created_at > APPEAL_WINDOW:
        raise AppealWindowClosed()
    appeal = Appeal(
        review=review,
        appellant=appellant,
        reason=reason,
        created_at=now,
        due_at=workdays.due_after(now, APPEAL_WORKING_DAYS),
    )
    try:
        with transaction.atomic():
            appeal.save()
    except IntegrityError:
        raise AppealExists() from None
    return appeal


def appeal_decide(*, appeal: Appeal, decider, upheld: bool, reason: str) -> Appeal:
    """An appeal_reviewer's decision, once, by no party to the appeal: neither who wrote
    the review, nor the cadre, nor anyone of the cadre's unit (permissions.party_to_appeal,
    for the API and the admin alike).

    Upheld: the review is excluded (review_exclude, which corrects a published month);
    its points stay paid. One conditional UPDATE: two deciders at once leave one decision.
    """
    review = appeal.review
    if not permissions.can_decide_appeal(user=decider):
        raise Forbidden(_("Only an appeal reviewer decides appeals."))
    refuse_party(permissions.party_to_appeal(user=decider, appeal=appeal))
    reason = (reason or "").strip()
    if not reason or len(reason) > MAX_DECISION_REASON:
        raise Invalid(
            fields={
                "reason": [_("Write 1 to %(count)d characters.") % {"count": MAX_DECISION_REASON}]
            }
        )
    outcome = Appeal.Outcome.UPHELD if upheld else Appeal.Outcome.DISMISSED
    with transaction.atomic():
        updated = Appeal.objects.filter(pk=appeal.pk, status=Appeal.Status.PENDING).update(
            status=Appeal.Status.DECIDED,
            outcome=outcome,
            decision_reason=reason,
            decided_at=timezone.now(),
            decided_by=decider,
        )
        if not updated:
            raise AppealAlreadyDecided()
        if upheld:
            review_exclude(review_id=review.pk, reason=Exclusion.APPEAL)
        _notify_appeal_decided(appeal=appeal, review=review, outcome=outcome)
    appeal.refresh_from_db()
    return appeal


def _notify_appeal_decided(*, appeal: Appeal, review: Review, outcome: str) -> None:
    """The review's cadre, and the unit admin who appealed for them, hear the outcome and
    the review's date: never the reviewer, never who decided."""
    recipients = dict.fromkeys(
        user_id for user_id in (review.cadre.user_id, appeal.appellant_id) if user_id is not None
    )
    for user_id in recipients:
        notify(
            user_id=user_id,
            kind="appeal_decided",
            key=appeal.pk,
            params={
                "outcome": notification_kinds.each_language(Appeal.Outcome(outcome).label),
                "date": f"{review.local_date:%Y-%m-%d}",
            },
            link="/api/v1/cadre/appeals",
        )
