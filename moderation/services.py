"""Writes of moderation: a moderator's decision on a flagged review, the nightly fraud
pass, and appeals (made by the cadre or its unit, decided at district level)."""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from cadres.models import Exclusion, Review
from cadres.services import review_exclude
from core import audit
from core.errors import Forbidden, Invalid, or_404
from core.parties import refuse_party
from core.timezones import LOCAL_TZ
from notifications import kinds as notification_kinds
from notifications.services import notify
from points.services import TakenBack, review_points_take_back

from . import fraud, permissions, workdays
from .errors import AppealAlreadyDecided, AppealExists, AppealWindowClosed, FlagAlreadyDecided
from .models import Appeal, FlagRule, ReviewFlag

# --- Fraud signals and moderation (moderation/fraud.py, docs/review-fraud.md) -------------

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
        audit.record(
            moderator,
            "review_flag.exclude",
            next(flag for flag in flags if flag.pk == flag_id),
            subject=Review.objects.values_list("reviewer_id", flat=True).get(pk=flags[0].review_id),
            summary={
                "before": {"state": "open"},
                "after": {
                    "state": "excluded",
                    "ground": ground,
                    "review": flags[0].review_id,
                    "points_taken_back": taken.points,
                },
            },
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
        audit.record(
            moderator,
            "review_flag.clear",
            next(flag for flag in flags if flag.pk == flag_id),
            subject=Review.objects.values_list("reviewer_id", flat=True).get(pk=flags[0].review_id),
            summary={
                "before": {"state": "open"},
                "after": {"state": "cleared", "review": flags[0].review_id},
            },
        )
    return next(flag for flag in flags if flag.pk == flag_id)


def reviews_fraud_scan(*, day: dt.date | None = None, now: dt.datetime | None = None) -> dict:
    """The nightly pass (beat, 02:30): every rule over `day` (default: yesterday,
    Asia/Shanghai), flags added once per review and rule, and reviews by colleagues
    excluded with a decided colleague flag as the record. Safe to run twice."""
    now = now or timezone.now()
    day = day or timezone.localtime(now, LOCAL_TZ).date() - dt.timedelta(days=1)
    flagged = fraud.day_flags_add(day=day, now=now)
    excluded = 0
    for review_id in fraud.colleague_review_ids():
        with transaction.atomic(durable=True):
            if review_exclude(review_id=review_id, reason=Exclusion.COLLEAGUE, now=now):
                excluded += 1
                audit.record(
                    None,
                    "review.exclude",
                    None,
                    object_type="cadres.review",
                    object_id=review_id,
                    summary={"after": {"excluded": Exclusion.COLLEAGUE}},
                )
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


# --- Appeals ---------------------------------------------------------------------------

APPEAL_WINDOW = dt.timedelta(days=7)


APPEAL_WORKING_DAYS = 5


MIN_APPEAL_REASON = 10


MAX_APPEAL_REASON = 500


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
        # No subject: the review stays anonymous, even in the trail.
        audit.record(
            decider,
            "appeal.decide",
            appeal,
            summary={"before": {"status": "pending"}, "after": {"outcome": outcome}},
        )
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
