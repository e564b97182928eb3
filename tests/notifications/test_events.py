"""Each event from the action to the inbox and the SMS file: who is told, what they
read, and that a rolled-back change notifies nobody."""

import datetime as dt
from unittest import mock

import pytest
from django.db import transaction
from django.utils import timezone, translation

from cadres import services as cadres_services
from notifications.models import Notification
from points import codes as points_codes
from points import ledger
from points import services as points_services
from points.models import Currency
from stalls import services as stalls_services
from stalls.errors import SlotTaken
from stalls.models import Inspection, Registration, StallReport
from tests.stalls.conftest import id_number, make_site_for

pytestmark = pytest.mark.django_db


def kinds_of(user) -> list[str]:
    return list(
        Notification.objects.filter(user=user).order_by("pk").values_list("kind", flat=True)
    )


def only(user, kind) -> Notification:
    return Notification.objects.get(user=user, kind=kind)


# --- Cadres and reviewers.


def test_a_bad_review_tells_the_cadre_by_sms_and_never_who_wrote_it(
    resident, cadre, cadre_user, badge, client_for, committed, sms_sent
):
    with committed():
        response = client_for(resident).post(
            f"/api/v1/cadres/{cadre.pk}/reviews",
            {"code": badge(cadre), "rating": 1, "comment": "态度差"},
            format="json",
        )
    assert response.status_code == 201
    notification = only(cadre_user, "review_bad")
    review_id = response.json()["id"]
    assert notification.link == f"/api/v1/reviews/{review_id}/response"
    assert notification.sms_status == Notification.Sms.SENT
    [sms] = sms_sent()
    assert sms["phone"] == cadre_user.phone
    assert sms["key"] == f"review_bad:{review_id}"
    assert "1" in sms["text"] and "72" in sms["text"]
    # Nothing of the reviewer anywhere: name, phone, id.
    body = client_for(cadre_user).get("/api/v1/notifications").content.decode()
    for secret in (resident.display_name, resident.phone, resident.phone[-4:]):
        assert secret not in sms["text"] and secret not in body
    assert kinds_of(resident) == []


def test_a_good_review_notifies_nobody(resident, cadre, cadre_user, badge, client_for, sms_sent):
    response = client_for(resident).post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": badge(cadre), "rating": 5},
        format="json",
    )
    assert response.status_code == 201
    assert not Notification.objects.exists()
    assert sms_sent() == []


def test_the_answer_asks_the_reviewer_for_a_verdict_and_the_verdict_tells_the_cadre(
    resident, cadre, cadre_user, client_for, committed, sms_sent
):
    review = cadres_services.review_create(cadre=cadre, reviewer=resident, rating=2)
    with committed():
        response = client_for(cadre_user).post(
            f"/api/v1/reviews/{review.pk}/response", {"message": "已整改"}, format="json"
        )
    assert response.status_code == 201
    answered = only(resident, "review_answered")
    assert answered.link == f"/api/v1/reviews/{review.pk}/verdict"
    assert "王丽娜" in answered.body
    # (the review itself was created outside `committed`: its SMS was never queued)
    assert [sms["phone"] for sms in sms_sent()] == [resident.phone]
    with committed():
        response = client_for(resident).post(
            f"/api/v1/reviews/{review.pk}/verdict", {"accepted": False}, format="json"
        )
    assert response.status_code == 200
    verdict = only(cadre_user, "review_verdict")
    assert verdict.sms_status == Notification.Sms.NONE  # in-app only
    with translation.override("en"):
        assert "rejected" in verdict.body
    assert "驳回" in verdict.body
    assert len(sms_sent()) == 1


def test_the_clock_reminds_at_48_hours_and_records_overdue_at_72(
    resident, cadre, cadre_user, committed, sms_sent
):
    start = timezone.now() - dt.timedelta(days=10)
    with mock.patch("django.utils.timezone.now", return_value=start):
        review = cadres_services.review_create(cadre=cadre, reviewer=resident, rating=1)
    assert cadres_services.reviews_notify_answer_due(now=start + dt.timedelta(hours=47)) == 0
    with committed():
        told = cadres_services.reviews_notify_answer_due(now=start + dt.timedelta(hours=49))
    assert told == 1
    # The next hour's run tells nobody twice.
    assert cadres_services.reviews_notify_answer_due(now=start + dt.timedelta(hours=50)) == 0
    due = only(cadre_user, "review_answer_due")
    assert due.sms_status == Notification.Sms.SENT
    assert cadres_services.reviews_mark_overdue(now=start + dt.timedelta(hours=73)) == 1
    assert cadres_services.reviews_mark_overdue(now=start + dt.timedelta(hours=74)) == 0
    overdue = only(cadre_user, "review_overdue")
    assert overdue.link == f"/api/v1/reviews/{review.pk}/response"
    assert kinds_of(cadre_user) == ["review_bad", "review_answer_due", "review_overdue"]


def test_a_cadre_without_a_user_is_notified_of_nothing(resident, cadre):
    cadres_services.review_create(cadre=cadre, reviewer=resident, rating=1)
    assert not Notification.objects.exists()


def test_a_rolled_back_review_notifies_nobody(resident, cadre, cadre_user, committed, sms_sent):
    with committed(), pytest.raises(RuntimeError), transaction.atomic():
        cadres_services.review_create(cadre=cadre, reviewer=resident, rating=1)
        raise RuntimeError("the change fails after the notify")
    assert not Notification.objects.exists()
    assert sms_sent() == []


# --- Residents: moral claims, tiers, vouchers, reports.


def test_moral_claims_approved_rejected_revoked_and_the_tiers(
    resident, moral_reviewer, district_admin, category, tiers, committed, sms_sent
):
    claim = points_services.moral_claim_create(
        resident=resident, category=category, description="扶老人", occurred_on=dt.date(2026, 1, 5)
    )
    with committed():
        points_services.moral_claim_approve(claim_id=claim.pk, reviewer=moral_reviewer, points=60)
    approved = only(resident, "moral_claim_approved")
    assert "60" in approved.body and "好人好事" in approved.body
    gained = only(resident, "tier_gained")
    assert "Bank VIP" in gained.body
    other = points_services.moral_claim_create(
        resident=resident, category=category, description="捡钱包", occurred_on=dt.date(2026, 1, 6)
    )
    with committed():
        points_services.moral_claim_reject(
            claim_id=other.pk, reviewer=moral_reviewer, reason="无证据"
        )
    assert "无证据" in only(resident, "moral_claim_rejected").body
    with committed():
        points_services.moral_claim_revoke(
            claim_id=claim.pk, admin=district_admin, reason="重复申报"
        )
    revoked = only(resident, "moral_claim_revoked")
    assert "重复申报" in revoked.body and revoked.sms_status == Notification.Sms.NONE
    lost = only(resident, "tier_lost")
    assert "Bank VIP" in lost.body
    assert [sms["key"] for sms in sms_sent()] == [
        f"moral_claim_approved:{claim.pk}",
        f"moral_claim_rejected:{other.pk}",
    ]


def test_a_moral_adjustment_that_crosses_a_tier_tells_the_resident(resident, district_admin, tiers):
    account = ledger.resident_account(user=resident, currency=Currency.MORAL)
    points_services.adjustment_post(
        account=account, amount=120, reason="补录", admin=district_admin
    )
    assert "Green" in only(resident, "tier_gained").body
    points_services.adjustment_post(account=account, amount=5, reason="补录", admin=district_admin)
    assert kinds_of(resident) == ["tier_gained"]


def test_a_voucher_used_or_cancelled_tells_its_owner(
    resident, merchant, merchant_user, district_admin, sms_sent
):
    ledger_account = ledger.resident_account(user=resident)
    points_services.adjustment_post(
        account=ledger_account, amount=2000, reason="test", admin=district_admin
    )
    reward = points_services.reward_create(
        merchant=merchant, title="羊绒围巾", cost_points=500, stock=5
    )
    used = points_services.redemption_create(reward=reward, resident=resident)
    points_services.redemption_confirm(
        code=points_codes.voucher_url(used), merchant_user=merchant_user
    )
    assert "Ordos Cashmere Shop" in only(resident, "voucher_used").body
    cancelled = points_services.redemption_create(reward=reward, resident=resident)
    points_services.redemption_cancel(redemption_id=cancelled.pk, resident=resident)
    assert "500" in only(resident, "voucher_cancelled").body
    assert sms_sent() == []  # in-app only


# --- Vendors.


def _register(vendor, site, waitlist=False) -> Registration:
    return stalls_services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="王小明",
        id_number=id_number(),
        goods_category="fruit_vegetables",
        waitlist=waitlist,
    )


def test_vendors_hear_of_approval_rejection_suspension_promotion_and_reinstatement(
    make_user, site, officer, committed, sms_sent
):
    first, second, third = make_user(), make_user(), make_user()
    with committed():
        stall = stalls_services.registration_approve(
            registration=_register(first, site), officer=officer, slot=1
        )
    approved = only(first, "registration_approved")
    assert stall.license_no in approved.body and "德荣早市" in approved.body
    waiting = _register(second, site, waitlist=True)
    rejected = _register(third, site, waitlist=True)
    with committed():
        stalls_services.registration_reject(
            registration=rejected, officer=officer, reason="证件不全"
        )
    assert "证件不全" in only(third, "registration_rejected").body
    with committed():
        for _n in range(3):
            stalls_services.inspection_record(
                stall=stall, officer=officer, result=Inspection.Result.VIOLATION
            )
    suspended = only(first, "stall_suspended")
    assert "3" in suspended.body
    promoted = only(second, "waitlist_promoted")
    assert "德荣早市" in promoted.body and f"{waiting.stall.license_no}" in promoted.body
    with committed(), pytest.raises(SlotTaken):
        stalls_services.stall_reinstate(stall=stall, officer=officer, reason="已整改", slot=1)
    # Slot 1 went to the vendor who waited: reinstating onto it is refused, nothing told.
    assert kinds_of(first) == ["registration_approved", "stall_suspended"]


def test_a_reinstated_stall_tells_its_vendor(make_user, unit, officer, committed, sms_sent):
    site = make_site_for(unit, capacity=2)
    vendor = make_user()
    stall = stalls_services.registration_approve(
        registration=_register(vendor, site), officer=officer, slot=1
    )
    for _n in range(3):
        stalls_services.inspection_record(
            stall=stall, officer=officer, result=Inspection.Result.VIOLATION
        )
    with committed():
        stalls_services.stall_reinstate(stall=stall, officer=officer, reason="已整改")
    assert kinds_of(vendor) == ["registration_approved", "stall_suspended", "stall_reinstated"]
    assert [sms["key"].split(":")[0] for sms in sms_sent()] == ["stall_reinstated"]


def test_a_closed_report_tells_who_filed_it(make_user, site, officer, resident):
    vendor = make_user()
    stall = stalls_services.registration_approve(
        registration=_register(vendor, site), officer=officer, slot=1
    )
    report = stalls_services.report_create(
        stall=stall, reporter=resident, category=StallReport.Category.HYGIENE
    )
    stalls_services.report_close(report=report, officer=officer, resolution="已清理")
    closed = only(resident, "report_closed")
    assert "已清理" in closed.body and closed.link == "/api/v1/stalls/reports/mine"


def test_a_provider_outage_never_blocks_the_action(
    resident, cadre, cadre_user, badge, client_for, committed, settings, monkeypatch, sms_sent
):
    settings.SMS_BACKEND = "tests.notifications.flaky_sms.FlakyFileBackend"
    settings.NOTIFY_SMS_RETRIES = 2
    monkeypatch.setenv("FLAKY_SMS_FAILURES", "100")
    with committed():
        response = client_for(resident).post(
            f"/api/v1/cadres/{cadre.pk}/reviews",
            {"code": badge(cadre), "rating": 2},
            format="json",
        )
    assert response.status_code == 201
    row = only(cadre_user, "review_bad")
    assert (row.sms_status, row.sms_attempts) == (Notification.Sms.FAILED, 3)
    assert "provider unavailable" in row.sms_error
    assert sms_sent() == []
