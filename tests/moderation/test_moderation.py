"""The rating moderator: excluding (fraud takes the points back, never below zero) or
clearing a flagged review, audited; the admin queue shows no reviewer."""

import re
import threading

import pytest
from django.db import connection

from accounts.roles import Role
from cadres import services as cadres_services
from cadres.models import Exclusion, Review
from core.errors import Forbidden, Invalid
from moderation import services
from moderation.errors import FlagAlreadyDecided
from moderation.models import FlagRule, ReviewFlag
from points import ledger
from points.models import Account, Currency, Entry, LedgerTransaction
from points.selectors import resident_summary
from points.services import adjustment_post
from points.verification import ledger_verify
from tests.forms import nonce_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(make_user):
    return make_user(Role.RATING_MODERATOR, display_name="Mona")


@pytest.fixture
def flagged(resident, cadre):
    """A paid review (10 points) with two signals on it."""
    review = cadres_services.review_create(
        cadre=cadre, reviewer=resident, rating=1, comment="太慢了"
    )
    assert review.points_awarded == 10
    made = [
        ReviewFlag.objects.create(
            review=review, rule=rule, detail=detail, created_at=review.created_at
        )
        for rule, detail in (
            (FlagRule.DEVICE, {"cadres": 6, "minutes": 60}),
            (FlagRule.BURST, {"reviews": 5, "minutes": 10}),
        )
    ]
    return review, made


def spend(resident, points, admin):
    account = ledger.resident_account(user=resident)
    adjustment_post(account=account, amount=-points, reason="spent at a shop", admin=admin)


def test_a_fraud_verdict_excludes_the_review_and_takes_its_points_back(
    moderator, resident, flagged
):
    review, (device, burst) = flagged
    flag = services.review_flag_exclude(
        flag_id=device.pk, moderator=moderator, reason="同一设备刷评"
    )
    review.refresh_from_db()
    assert review.excluded_reason == Exclusion.FRAUD
    assert (flag.points_taken_back, flag.points_shortfall) == (10, 0)
    assert resident_summary(user=resident).redeemable == 0
    for row in ReviewFlag.objects.filter(review=review):
        assert (row.state, row.decided_by, row.decision_reason) == (
            "excluded",
            moderator,
            "同一设备刷评",
        )
        assert row.decided_at is not None
    txn = LedgerTransaction.objects.get(reason="review_revocation")
    assert (txn.reference, txn.created_by) == (f"review:{review.pk}", moderator)
    assert ledger_verify().ok
    with pytest.raises(FlagAlreadyDecided):
        services.review_flag_exclude(flag_id=burst.pk, moderator=moderator, reason="again")
    assert LedgerTransaction.objects.filter(reason="review_revocation").count() == 1


def test_points_already_spent_are_recorded_as_the_shortfall(
    moderator, resident, flagged, district_admin
):
    """The resident spent 7 of the 10: the 3 left are taken back, the balance stops at
    zero (the CHECK holds), and the 7 are recorded on the flag."""
    review, (device, _burst) = flagged
    spend(resident, 7, district_admin)
    flag = services.review_flag_exclude(flag_id=device.pk, moderator=moderator, reason="刷评")
    assert (flag.points_taken_back, flag.points_shortfall) == (3, 7)
    flag.refresh_from_db()
    assert (flag.points_taken_back, flag.points_shortfall) == (3, 7)
    assert resident_summary(user=resident).redeemable == 0
    assert ledger_verify().ok


def test_nothing_left_takes_nothing_and_posts_nothing(moderator, resident, flagged, district_admin):
    _review, (device, _burst) = flagged
    spend(resident, 10, district_admin)
    flag = services.review_flag_exclude(flag_id=device.pk, moderator=moderator, reason="刷评")
    assert (flag.points_taken_back, flag.points_shortfall) == (0, 10)
    assert not LedgerTransaction.objects.filter(reason="review_revocation").exists()


def test_another_ground_leaves_the_points_paid(moderator, resident, flagged):
    review, (device, _burst) = flagged
    services.review_flag_exclude(
        flag_id=device.pk, moderator=moderator, reason="是本单位职工", ground=Exclusion.COLLEAGUE
    )
    review.refresh_from_db()
    assert review.excluded_reason == Exclusion.COLLEAGUE
    assert resident_summary(user=resident).redeemable == 10


def test_clearing_keeps_the_review_counting(moderator, resident, flagged):
    review, (device, burst) = flagged
    services.review_flag_clear(flag_id=burst.pk, moderator=moderator, reason="正常排队办事")
    review.refresh_from_db()
    assert review.excluded_reason == ""
    assert set(ReviewFlag.objects.values_list("state", flat=True)) == {"cleared"}
    assert resident_summary(user=resident).redeemable == 10
    with pytest.raises(FlagAlreadyDecided):
        services.review_flag_clear(flag_id=device.pk, moderator=moderator, reason="x")


def test_only_moderators_decide_and_always_with_a_reason(moderator, unit_admin, resident, flagged):
    _review, (device, _burst) = flagged
    for user in (unit_admin, resident):
        with pytest.raises(Forbidden):
            services.review_flag_exclude(flag_id=device.pk, moderator=user, reason="x")
        with pytest.raises(Forbidden):
            services.review_flag_clear(flag_id=device.pk, moderator=user, reason="x")
    with pytest.raises(Invalid):
        services.review_flag_exclude(flag_id=device.pk, moderator=moderator, reason="  ")
    with pytest.raises(Invalid):
        services.review_flag_exclude(
            flag_id=device.pk, moderator=moderator, reason="x", ground=Exclusion.APPEAL
        )
    assert set(ReviewFlag.objects.values_list("state", flat=True)) == {"open"}
    assert Review.objects.get().excluded_reason == ""
    assert resident_summary(user=resident).redeemable == 10


# --- The admin queue ------------------------------------------------------------------------


def test_the_queue_shows_the_review_and_the_signal_but_never_the_reviewer(
    client, moderator, resident, flagged
):
    client.force_login(moderator)
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "/admin/moderation/reviewflag/?state=open" in index
    html = client.get("/admin/moderation/reviewflag/?state__exact=open").content.decode()
    assert "王丽娜" in html and "太慢了" in html
    assert "6" in html
    assert resident.phone not in html
    # Neither the year nor a form nonce (its row's id may end like the phone) is a phone.
    shown = re.sub(r'value="[0-9]+:[^"]*"', "", html).replace("2026", "")
    assert resident.phone[-4:] not in shown
    review, (device, _burst) = flagged
    detail = client.get(f"/admin/moderation/reviewflag/{device.pk}/change/").content.decode()
    assert resident.phone not in detail


def test_the_queue_counts_reviews_not_flags(client, moderator, flagged, make_user, make_cadre):
    """The index's pending count: the two flags of one review count once; an address
    flag shows the moderator how many reviews of its address and hour it covers."""
    client.force_login(moderator)
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '待审核的可疑评价</a></th><td class="pending-count">1</td>' in index
    other = cadres_services.review_create(cadre=make_cadre(), reviewer=make_user(), rating=5)
    ReviewFlag.objects.create(
        review=other,
        rule=FlagRule.ADDRESS,
        detail={"cadres": 12, "minutes": 60},
        created_at=other.created_at,
        address_hash=other.address_hash,
        hour=other.created_at.replace(minute=0, second=0, microsecond=0),
        reviews=37,
    )
    index = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert '待审核的可疑评价</a></th><td class="pending-count">2</td>' in index
    html = client.get(
        "/admin/moderation/reviewflag/?state__exact=open&rule__exact=address",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    ).content.decode()
    assert "37" in html and "12" in html


def test_the_admin_action_excludes_through_the_service(client, moderator, resident, flagged):
    review, (device, _burst) = flagged
    client.force_login(moderator)
    response = client.post(
        "/admin/moderation/reviewflag/?state__exact=open",
        {
            "action": "exclude_reviews",
            "_selected_action": [device.pk],
            "reason": "同一设备刷评",
            "ground": "fraud",
            **nonce_of(client),
        },
    )
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.excluded_reason == "fraud"
    assert ReviewFlag.objects.get(pk=device.pk).decided_by == moderator
    assert resident_summary(user=resident).redeemable == 0


def test_the_admin_refuses_a_decision_without_a_reason(client, moderator, flagged):
    review, (device, _burst) = flagged
    client.force_login(moderator)
    client.post(
        "/admin/moderation/reviewflag/?state__exact=open",
        {
            "action": "clear_flags",
            "_selected_action": [device.pk],
            "reason": "",
            **nonce_of(client),
        },
    )
    assert ReviewFlag.objects.get(pk=device.pk).state == "open"


def test_people_without_the_role_do_not_see_the_queue(client, unit_admin, flagged):
    client.force_login(unit_admin)
    assert client.get("/admin/moderation/reviewflag/?state__exact=open").status_code == 403


# --- At the same moment (PostgreSQL) ----------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_fraud_verdict_and_a_spend_at_once_never_overdraw(
    moderator, resident, flagged, district_admin
):
    """The resident spends 8 while the moderator takes back the 10: whichever locks the
    account first, the balance never goes below zero and the ledger adds up."""
    _review, (device, _burst) = flagged
    barrier = threading.Barrier(2)
    errors = []

    def run(call):
        try:
            barrier.wait(timeout=30)
            call()
        except Exception as error:  # noqa: BLE001 (reported below)
            errors.append(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(
            target=run,
            args=(
                lambda: services.review_flag_exclude(
                    flag_id=device.pk, moderator=moderator, reason="刷评"
                ),
            ),
        ),
        threading.Thread(target=run, args=(lambda: spend(resident, 8, district_admin),)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    flag = ReviewFlag.objects.get(pk=device.pk)
    balance = Account.objects.get(key=f"r:{resident.pk}", currency=Currency.REDEEMABLE).balance
    assert balance >= 0
    spent = Entry.objects.filter(reason="adjustment", amount__lt=0).count()
    if spent:
        # The spend went first (8), the take-back took the 2 left; or the take-back went
        # first (10) and the spend was refused.
        assert (flag.points_taken_back, flag.points_shortfall, balance) == (2, 8, 0)
    else:
        assert (flag.points_taken_back, balance) == (10, 0)
        assert len(errors) == 1
    assert ledger_verify().ok
