"""Redeemed vouchers are held in escrow until the merchant confirms them; cancelled or
unused after VOUCHER_VALID_DAYS, the points go back to the resident from escrow."""

import datetime as dt
import os

import pytest
from django.conf import settings
from django.utils import timezone

from config.celery import app
from points import ledger, services
from points.codes import voucher_url
from points.models import Account, Currency, LedgerTransaction, Redemption
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.workers import start_worker, stop_worker

from .conftest import balance_of

Reason = LedgerTransaction.Reason


def escrow_balance(merchant) -> int:
    return services.escrow_account(merchant_id=merchant.pk).balance


@pytest.mark.django_db
def test_a_redeemed_voucher_waits_in_escrow_until_confirmed(
    resident, grant, reward, merchant, merchant_user
):
    """Redeeming moves 500 to escrow; the merchant's confirmation moves it to the merchant."""
    grant(resident, 800)
    voucher = services.redemption_create(reward=reward, resident=resident)
    assert escrow_balance(merchant) == 500
    assert balance_of(merchant.account_id) == 0
    services.redemption_confirm(code=voucher_url(voucher), merchant_user=merchant_user)
    assert escrow_balance(merchant) == 0
    assert balance_of(merchant.account_id) == 500
    assert resident_summary(user=resident).redeemable == 300
    reasons = set(
        LedgerTransaction.objects.filter(reference=f"redemption:{voucher.pk}").values_list(
            "reason", flat=True
        )
    )
    assert reasons == {Reason.REDEMPTION, Reason.REDEMPTION_CONFIRM}
    assert ledger_verify().ok


@pytest.mark.django_db
def test_cancelling_refunds_from_escrow(resident, resident_api, grant, reward, merchant):
    grant(resident, 500)
    voucher = services.redemption_create(reward=reward, resident=resident)
    response = resident_api.post(f"/api/v1/points/redemptions/{voucher.pk}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert escrow_balance(merchant) == 0
    assert balance_of(merchant.account_id) == 0
    assert resident_summary(user=resident).redeemable == 500
    assert ledger_verify().ok


@pytest.mark.django_db
def test_a_voucher_redeemed_before_escrow_is_refunded_from_the_merchant(
    resident, grant, reward, merchant
):
    """Vouchers issued when redemption paid the merchant at once still cancel cleanly."""
    grant(resident, 500)
    legacy = Redemption.objects.create(reward=reward, resident=resident, cost_points=500)
    ledger.post(
        reason=Reason.REDEMPTION,
        reference=f"redemption:{legacy.pk}",
        lines=[
            (ledger.resident_account(user=resident), -500),
            (Account.objects.get(pk=merchant.account_id), 500),
        ],
    )
    services.redemption_cancel(redemption_id=legacy.pk, resident=resident)
    assert balance_of(merchant.account_id) == 0
    assert resident_summary(user=resident).redeemable == 500


@pytest.mark.django_db
def test_unused_vouchers_expire_after_the_validity_once(
    resident, other_resident, grant, reward, merchant, merchant_user
):
    """Issued and older than VOUCHER_VALID_DAYS: refunded, stock back; used or young: kept.
    A second run refunds nothing more."""
    assert settings.VOUCHER_VALID_DAYS == 90
    grant(resident, 1500)
    old, used, young = (
        services.redemption_create(reward=reward, resident=resident) for _ in range(3)
    )
    services.redemption_confirm(code=voucher_url(used), merchant_user=merchant_user)
    long_ago = timezone.now() - dt.timedelta(days=90, minutes=1)
    Redemption.objects.filter(pk__in=[old.pk, used.pk]).update(created_at=long_ago)
    young_enough = timezone.now() - dt.timedelta(days=89, hours=23)
    Redemption.objects.filter(pk=young.pk).update(created_at=young_enough)

    assert services.redemptions_expire() == 1
    assert services.redemptions_expire() == 0
    old.refresh_from_db()
    assert old.status == Redemption.Status.CANCELLED and old.cancelled_at is not None
    assert Redemption.objects.get(pk=used.pk).status == Redemption.Status.USED
    assert Redemption.objects.get(pk=young.pk).status == Redemption.Status.ISSUED
    assert resident_summary(user=resident).redeemable == 500
    assert escrow_balance(merchant) == 500  # the young one
    assert balance_of(merchant.account_id) == 500  # the used one
    reward.refresh_from_db()
    assert reward.stock == 8
    assert (
        LedgerTransaction.objects.filter(
            reason=Reason.REDEMPTION_EXPIRY, reference=f"redemption:{old.pk}"
        ).count()
        == 1
    )
    assert ledger_verify().ok


@pytest.mark.django_db
def test_the_expiry_runs_from_beat_every_hour():
    entry = settings.CELERY_BEAT_SCHEDULE["expire-vouchers"]
    assert entry["task"] == "points.tasks.redemptions_expire"
    assert entry["schedule"].hour == set(range(24))


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_refunds_expired_vouchers_once(resident, grant, reward, merchant):
    """Through Redis to a worker process: refunded once, however often the task runs."""
    grant(resident, 1000)
    vouchers = [services.redemption_create(reward=reward, resident=resident) for _ in range(2)]
    Redemption.objects.filter(pk__in=[v.pk for v in vouchers]).update(
        created_at=timezone.now() - dt.timedelta(days=91)
    )
    queue = f"points-expiry-test-{os.getpid()}"
    worker = start_worker(queue)
    try:
        first = app.send_task("points.tasks.redemptions_expire", queue=queue).get(timeout=90)
        second = app.send_task("points.tasks.redemptions_expire", queue=queue).get(timeout=90)
    finally:
        log = stop_worker(worker)
    assert (first, second) == (2, 0), log
    assert resident_summary(user=resident).redeemable == 1000
    assert escrow_balance(merchant) == 0
    assert ledger_verify().ok


@pytest.mark.django_db
def test_an_escrow_account_never_goes_below_zero(merchant):
    """The escrow is a system account the CHECK constraint guards like a resident's."""
    escrow = services.escrow_account(merchant_id=merchant.pk)
    issuance = ledger.issuance_account(currency=Currency.REDEEMABLE)
    with pytest.raises(ledger.Overdrawn):
        ledger.post(reason=Reason.ADJUSTMENT, lines=[(escrow, -1), (issuance, 1)])
