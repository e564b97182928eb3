"""Writes of the cadres app: role links, badge codes, reviews, answers and verdicts, tickets."""

import datetime as dt
from collections.abc import Sequence
from functools import cache

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.models import User
from accounts.roles import Role
from core import audit
from core.errors import Invalid
from core.timezones import LOCAL_TZ
from notifications import kinds as notification_kinds
from notifications.services import notify
from points import ledger
from points.errors import InactiveUser
from points.models import Account
from points.services import review_points_award

from . import codes, hashes, hooks, page_cache
from .errors import (
    AlreadyResponded,
    AlreadyReviewedToday,
    CadreInactive,
    NotResponded,
    ReviewByColleague,
    SelfReview,
    TicketExpired,
    TicketOtherCadre,
    VerdictAlreadyGiven,
)
from .models import Cadre, Exclusion, Review, ServiceTicket, Unit, UnitMembership

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
    with transaction.atomic():
        cadre.rotate_code(actor=actor)
        audit.record(
            actor, "cadre.code_rotate", cadre, summary={"after": {"version": cadre.code_version}}
        )
    page_cache.all_changed()
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
    tags: Sequence[str] = (),
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
    cheap ones flag the review here (moderation/fraud.py, through cadres.hooks). A
    reviewer whose phone no SMS has confirmed (an account a service desk made from an ID check alone) earns no points,
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
        device_hash=hashes.device_hash(device_id),
        address_hash=hashes.address_hash(address),
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
            hooks.submission_act(review, counts)
            # The badge page shows the month's count of reviews.
            page_cache.cadre_changed(cadre.pk)
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


# The review's columns: every concrete field but the id, in the model's order. Those of
# HELD take their second value when the reviewer's phone is not confirmed (the review is
# held out of the rankings, without points, until a moderator decides).
_REVIEW_FIELDS = [field for field in Review._meta.concrete_fields if not field.primary_key]
HELD = ("points_awarded", "excluded_reason", "excluded_at")
_q = connection.ops.quote_name
_USER = _q(User._meta.db_table)
_MEMBERSHIP = _q(UnitMembership._meta.db_table)
_CADRE = _q(Cadre._meta.db_table)
_REVIEW = _q(Review._meta.db_table)
_REVIEW_PK = _q(Review._meta.pk.column)
_REVIEW_COLUMNS = ", ".join(_q(field.column) for field in _REVIEW_FIELDS)
_REVIEW_VALUES = ", ".join(
    "CASE WHEN guard.verified THEN %s ELSE %s END" if field.name in HELD else "%s"
    for field in _REVIEW_FIELDS
)
# The UNIQUE (reviewer, cadre, local_date): one review of a cadre a day.
_REVIEW_UNIQUE = ", ".join(
    _q(column)
    for column in (
        Review._meta.get_field("reviewer").column,
        Review._meta.get_field("cadre").column,
        Review._meta.get_field("local_date").column,
    )
)


@cache
def review_insert_sql(checks: tuple[hooks.SubmissionCheck, ...]) -> str:
    """The review's one statement (see `_review_insert`), the registered submission
    checks' subqueries in the INSERT's RETURNING: made once per process, since the checks
    are registered in the apps' ready(). A statement builder (docs/conventions.md, "Raw
    SQL"): names from `_meta` and the constants of the checks and of points.ledger."""
    counts = "".join(f",\n    {check.sql}" for check in checks)
    return f"""
WITH guard AS (
    SELECT EXISTS (SELECT 1 FROM {_USER} WHERE id = %s AND is_active) AS active,
           (EXISTS (SELECT 1 FROM {_MEMBERSHIP} WHERE user_id = %s AND unit_id = %s)
            OR EXISTS (SELECT 1 FROM {_CADRE} WHERE user_id = %s AND unit_id = %s))
               AS colleague,
           EXISTS (SELECT 1 FROM {_USER} WHERE id = %s AND phone_verified_at IS NOT NULL)
               AS verified
),
ins AS (
    INSERT INTO {_REVIEW} ({_REVIEW_COLUMNS})
    SELECT {_REVIEW_VALUES}
    FROM guard WHERE guard.active AND NOT guard.colleague
    ON CONFLICT ({_REVIEW_UNIQUE}) DO NOTHING
    RETURNING {_REVIEW_PK}{counts}
),
{ledger.RESIDENT_ACCOUNT_LOCK_CTES_SQL.strip()}
SELECT guard.active, guard.colleague, guard.verified, account_locked.id, account_locked.balance,
       ins.*
FROM guard LEFT JOIN ins ON true LEFT JOIN account_locked ON true
"""  # noqa: S608


def _review_insert(review: Review, *, unit_id: int) -> tuple[str, tuple | None, Account | None]:
    """INSERT ... SELECT ... ON CONFLICT DO NOTHING: the UNIQUE (reviewer, cadre,
    local_date) answers a second review of the day, and a twin request waits for the
    first and finds it, all without a savepoint; the SELECT refuses a reviewer whose
    account is gone or inactive (the API authenticates by the token alone) and a
    colleague of the cadre (a cadre or staff of the unit).

    Returns (refusal, counts, account): counts is None when nothing was inserted, and
    refusal then says why ("inactive", "colleague", or "" for the day's review already
    there); otherwise the values of the submission checks (cadres.hooks: moderation's
    fraud rules, moderation.fraud.SUBMISSION_COUNTS_SQL). The same guard holds the review
    of a reviewer whose phone is not confirmed (no points, Exclusion.UNCONFIRMED), in the
    INSERT itself. One statement (`review_insert_sql`): the guard in a CTE, the counts in
    the RETURNING, and the reviewer's points account created-or-locked once the row is in
    (`account`, for the award; the lock of an earlier statement than the award's count,
    as review_points_award needs).
    """
    reviewer_id = review.reviewer_id
    guard_params = [reviewer_id, reviewer_id, unit_id, reviewer_id, unit_id, reviewer_id]
    held = {
        "points_awarded": 0,
        "excluded_reason": Exclusion.UNCONFIRMED,
        "excluded_at": review.created_at,
    }
    values = []
    for field in _REVIEW_FIELDS:
        values.append(field.get_db_prep_save(field.pre_save(review, True), connection))
        if field.name in HELD:
            values.append(field.get_db_prep_save(held[field.name], connection))
    lock_params, account = ledger.resident_account_lock_cte(user_id=reviewer_id)
    checks = tuple(hooks.SUBMISSION_CHECKS)
    with connection.cursor() as cursor:
        cursor.execute(
            review_insert_sql(checks),
            [*guard_params, *values, *hooks.submission_params(review), *lock_params],
        )
        row = cursor.fetchone()
        active, colleague, verified, account_id, balance, pk_value, *counts = row
        if pk_value is not None:
            account = ledger.resident_account_locked(account, (account_id, balance))
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

    The exclusion is announced (hooks.review_excluded, inside the caller's transaction):
    the rankings schedule a correction of a month that has ended once the transaction
    commits (rankings/corrections.py).
    """
    excluded = bool(
        Review.objects.filter(pk=review_id, excluded_reason__in=["", Exclusion.UNCONFIRMED]).update(
            excluded_reason=reason, excluded_at=now or timezone.now()
        )
    )
    if excluded:
        local_date = Review.objects.filter(pk=review_id).values_list("local_date", flat=True)[0]
        hooks.review_excluded.send(sender=Review, review_id=review_id, local_date=local_date)
    return excluded


def reviews_mark_overdue(*, now: dt.datetime | None = None) -> int:
    """Record bad reviews still unanswered 72 hours on, and tell their cadres; returns
    how many were new."""
    now = now or timezone.now()
    with transaction.atomic(durable=True):
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
        with transaction.atomic(durable=True):
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
