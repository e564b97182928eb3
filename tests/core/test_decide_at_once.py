"""Every decision, taken twice at the same moment by real threads against
PostgreSQL (a double tap of the phone app, or two deciders' clients): it is decided once.

The cases and the calls are the rows of tests/core/test_own_case.py; here the decider is
the non-party of the row, on two connections released together by a barrier. Exactly
one call goes through; the other is refused with the contract's error body (4xx, never
5xx), and the row's state is the one decision's. The decisions that only the admin takes are
raced through the service its action calls, which must hold the same line.
"""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor
from unittest import mock

import pytest
from django.db import connection

from accounts.roles import Role
from cadres import services as cadres_services
from cadres.models import Cadre, Exclusion, Review, Unit
from core.errors import DomainError
from moderation import services as moderation_services
from moderation.models import ReviewFlag
from points import services as points_services
from points.models import LedgerTransaction, MoralClaim
from rankings import services as rankings_services
from rankings.errors import MonthPublished
from rankings.models import BottomWarning, RankingMonth
from tests.core.test_own_case import (
    DECISIONS,
    bottom_warning,
    moral_claim,
    review_flag,
    review_with_parties,
)

TAPS = 2
# An inspection is a record, not a decision: two officers may record two.
RACED = [
    pytest.param(decision, id=decision.name)
    for decision in DECISIONS
    if decision.api is not None and decision.name != "stall inspection"
]


def at_once(calls) -> list:
    """Run the no-argument `calls` in threads released together; their results."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("decision", RACED)
def test_two_calls_at_once_decide_once(decision, make_user, client_for, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    case = decision.build(make_user)
    before = decision.state(case.row)
    clients = [client_for(case.other) for _ in range(TAPS)]
    responses = at_once([lambda c=c: decision.api(c, case.row) for c in clients])
    statuses = sorted(response.status_code for response in responses)
    decided = [r for r in responses if r.status_code in decision.api_ok]
    refused = [r for r in responses if r.status_code not in decision.api_ok]
    assert len(decided) == 1, statuses
    assert all(400 <= r.status_code < 500 for r in refused), statuses
    assert all(r.json()["code"] and r.json()["detail"] for r in refused)
    after = decision.state(case.row)
    assert after != before


def raced(*calls) -> list:
    """`calls` at once; what each returned, or the DomainError it raised (any other
    error fails the test)."""

    def guarded(call):
        def run():
            try:
                return call()
            except DomainError as refused:
                return refused

        return run

    return at_once([guarded(call) for call in calls])


def refused(outcomes, error) -> int:
    assert all(isinstance(o, error) or not isinstance(o, Exception) for o in outcomes), outcomes
    return sum(isinstance(o, error) for o in outcomes)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_moral_claim_is_revoked_once(make_user):
    case = moral_claim(make_user, decider=Role.DISTRICT_ADMIN, approved=True)
    entries = LedgerTransaction.objects.count()

    def revoke():
        return points_services.moral_claim_revoke(
            claim_id=case.row.pk, admin=case.other, reason="不实"
        )

    outcomes = raced(revoke, revoke)
    assert refused(outcomes, DomainError) == 1, outcomes
    assert MoralClaim.objects.get(pk=case.row.pk).status == MoralClaim.Status.REVOKED
    assert LedgerTransaction.objects.count() == entries + 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_flag_excluded_and_cleared_at_once_is_decided_once(make_user):
    """One moderator excludes, another clears, at the same moment: one of them decides,
    the other is told the flag is decided; the review keeps the one decision."""
    case = review_flag(make_user)
    other = make_user(Role.RATING_MODERATOR)

    def exclude():
        return moderation_services.review_flag_exclude(
            flag_id=case.row.pk, moderator=case.other, reason="核实"
        )

    def clear():
        return moderation_services.review_flag_clear(
            flag_id=case.row.pk, moderator=other, reason="核实"
        )

    outcomes = raced(exclude, clear)
    assert refused(outcomes, DomainError) == 1, outcomes
    flag = ReviewFlag.objects.get(pk=case.row.pk)
    decided = next(o for o in outcomes if not isinstance(o, Exception))
    assert (flag.state, flag.decided_by_id) == (decided.state, decided.decided_by_id)
    excluded = flag.state == ReviewFlag.State.EXCLUDED
    assert bool(flag.review.excluded_reason) == excluded


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_bottom_warning_moves_once(make_user):
    case = bottom_warning(make_user)

    def talk_held():
        warning = BottomWarning.objects.get(pk=case.row.pk)
        return rankings_services.bottom_warning_change(
            warning=warning, state=BottomWarning.State.TALK_HELD, note="", actor=case.other
        )

    outcomes = raced(talk_held, talk_held)
    assert refused(outcomes, DomainError) == 1, outcomes
    assert BottomWarning.objects.get(pk=case.row.pk).state == BottomWarning.State.TALK_HELD


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_month_is_published_once():
    """Two publishes of one compiled month at once: one seals it, the other is told it is
    published; the chain has one link for it."""
    unit = Unit.objects.create(name="发改委")
    Cadre.objects.create(unit=unit, name="赵敏", employee_number="P000001")
    month = dt.date(2026, 3, 1)
    rankings_services.rankings_compile(month=month)

    def publish():
        return rankings_services.ranking_month_publish(month=month)

    outcomes = raced(publish, publish)
    assert refused(outcomes, MonthPublished) == 1, outcomes
    ranking = RankingMonth.objects.get(month=month)
    published = next(o for o in outcomes if not isinstance(o, Exception))
    assert (ranking.digest, ranking.published_at) == (published.digest, published.published_at)


def one_through(responses, ok: int, code: str) -> None:
    statuses = sorted(r.status_code for r in responses)
    assert statuses == sorted([ok, 409]), statuses
    assert next(r for r in responses if r.status_code == 409).json()["code"] == code


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_review_is_answered_once_and_given_one_verdict(make_user, client_for):
    """The cadre's answer and the reviewer's verdict, each sent twice at once through the
    API: one goes through, the other is 409 with its code; one answer, one verdict."""
    review, cadre_user, parties = review_with_parties(make_user, Role.RATING_MODERATOR)
    reviewer = parties["reviewer"][1]
    path = f"/api/v1/reviews/{review.pk}"
    answers = ["窗口已整改", "已加派人手"]
    responses = at_once(
        [
            lambda text=text: client_for(cadre_user).post(
                f"{path}/response", {"message": text}, format="json"
            )
            for text in answers
        ]
    )
    one_through(responses, 201, "already_responded")
    review.refresh_from_db()
    assert review.response_message in answers
    responses = at_once(
        [
            lambda accepted=accepted: client_for(reviewer).post(
                f"{path}/verdict", {"accepted": accepted}, format="json"
            )
            for accepted in (True, False)
        ]
    )
    one_through(responses, 200, "verdict_already_given")
    review.refresh_from_db()
    winner = next(r for r in responses if r.status_code == 200).json()
    assert review.verdict_accepted == winner["response"]["accepted"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_correction_is_published_once_by_two_runs_at_once(make_user):
    """A published month, one of its reviews excluded since: two correction runs at once
    (two workers) publish one version 2, chained to version 1; the other finds nothing."""
    unit = Unit.objects.create(name="审批局")
    cadre = Cadre.objects.create(unit=unit, name="孙伟", employee_number="P000002")
    month = dt.date(2026, 3, 1)
    with mock.patch(
        "django.utils.timezone.now", return_value=dt.datetime(2026, 3, 10, 2, 0, tzinfo=dt.UTC)
    ):
        reviews = [
            cadres_services.review_create(cadre=cadre, reviewer=make_user(), rating=rating)
            for rating in (5, 1)
        ]
    rankings_services.rankings_compile(month=month)
    first = rankings_services.ranking_month_publish(month=month)
    # Excluded without scheduling the correction task: the two runs below are the workers.
    Review.objects.filter(pk=reviews[1].pk).update(
        excluded_reason=Exclusion.FRAUD, excluded_at=dt.datetime.now(dt.UTC)
    )

    def correct():
        return rankings_services.ranking_month_correct(month=month)

    outcomes = raced(correct, correct)
    assert sorted(o is None for o in outcomes) == [False, True], outcomes
    versions = RankingMonth.objects.filter(month=month).order_by("version")
    assert [v.version for v in versions] == [1, 2]
    assert versions[1].previous_digest == first.digest
    assert versions[1].excluded_reviews == 1
