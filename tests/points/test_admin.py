"""The points admin: read-only ledger, adjustments, claim queue, campaigns, settlements."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from accounts.roles import Role
from points import ledger, services
from points.codes import voucher_url
from points.models import Account, Campaign, Entry, LedgerTransaction, MoralClaim
from points.selectors import campaign_pool_balance, resident_summary
from points.verification import ledger_verify
from tests.forms import nonce_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_zh(admin_user):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(admin_user)
    return client


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("+8613800000009", password="pw-123456!")


@pytest.fixture
def su_client(superuser):
    client = Client(headers={"accept-language": "zh-hans"})
    client.force_login(superuser)
    return client


def test_it_shows_every_points_page_in_chinese(su_client, resident, grant, reward, make_campaign):
    """Each changelist answers 200, in Chinese."""
    grant(resident, 100)
    make_campaign()
    for model in (
        "account",
        "entry",
        "lot",
        "ledgertransaction",
        "campaign",
        "campaignclaim",
        "merchant",
        "reward",
        "redemption",
        "reviewaward",
        "moralcategory",
        "moralclaim",
        "privilegetier",
    ):
        response = su_client.get(reverse(f"admin:points_{model}_changelist"))
        assert response.status_code == 200, model
    assert "账本分录" in su_client.get(reverse("admin:points_entry_changelist")).content.decode()
    assert "积分批次" in su_client.get(reverse("admin:points_lot_changelist")).content.decode()


def test_it_keeps_the_ledger_read_only_in_the_admin(su_client, resident, grant):
    """No add, change or delete of entries or transactions from the admin."""
    grant(resident, 100)
    entry = Entry.objects.first()
    assert su_client.get(reverse("admin:points_entry_add")).status_code == 403
    assert (
        su_client.post(
            reverse("admin:points_entry_change", args=[entry.pk]), {"amount": 1}
        ).status_code
        == 403
    )
    assert su_client.post(reverse("admin:points_entry_delete", args=[entry.pk])).status_code == 403
    assert (
        su_client.post(
            reverse("admin:points_ledgertransaction_delete", args=[entry.transaction_id])
        ).status_code
        == 403
    )
    assert Entry.objects.count() == 2


def test_it_filters_the_ledger(su_client, resident, other_resident, grant):
    """Entries filter by account, kind, reason and date."""
    grant(resident, 10)
    grant(other_resident, 20)
    account = ledger.resident_account(user=resident)
    url = reverse("admin:points_entry_changelist")
    response = su_client.get(url, {"account": account.pk})
    assert response.context["cl"].result_count == 1
    today = dt.date.today()
    for params in (
        {"account__kind": "resident"},
        {"reason": "adjustment"},
        {"account__currency": "moral"},
        {"created_at__year": today.year},
    ):
        assert su_client.get(url, params).status_code == 200
    assert su_client.get(url, {"account__currency": "moral"}).context["cl"].result_count == 0


def test_it_posts_an_adjustment_with_a_reason(admin_client_zh, admin_user, resident, grant):
    """The adjustment form posts a compensating transaction; the reason is required."""
    grant(resident, 100)
    account = ledger.resident_account(user=resident)
    url = reverse("admin:points_account_adjust", args=[account.pk])
    assert admin_client_zh.get(url).status_code == 200
    response = admin_client_zh.post(url, {"amount": -30, "reason": ""})
    assert response.status_code == 200
    response = admin_client_zh.post(
        url, {"amount": -130, "reason": "too much", **nonce_of(admin_client_zh)}
    )
    assert response.status_code == 200
    assert resident_summary(user=resident).redeemable == 100
    response = admin_client_zh.post(
        url, {"amount": -30, "reason": "duplicate grant", **nonce_of(admin_client_zh)}
    )
    assert response.status_code == 302
    assert resident_summary(user=resident).redeemable == 70
    txn = LedgerTransaction.objects.order_by("-pk").first()
    assert (txn.memo, txn.created_by) == ("duplicate grant", admin_user)
    assert ledger_verify().ok


def test_it_refuses_an_adjustment_in_full_width_digits_or_decimals(
    admin_client_zh, resident, grant
):
    """The amount is ASCII digits only: "１０", "-１０" and "10.0" post nothing (the form
    is shown again)."""
    grant(resident, 100)
    account = ledger.resident_account(user=resident)
    url = reverse("admin:points_account_adjust", args=[account.pk])
    for amount in ("１０", "-１０", "10.0"):
        response = admin_client_zh.post(
            url, {"amount": amount, "reason": "typed oddly", **nonce_of(admin_client_zh)}
        )
        assert response.status_code == 200, amount
    assert resident_summary(user=resident).redeemable == 100
    response = admin_client_zh.post(
        url, {"amount": "10", "reason": "ok", **nonce_of(admin_client_zh)}
    )
    assert response.status_code == 302
    assert resident_summary(user=resident).redeemable == 110


def test_it_refuses_adjustments_to_non_admins(make_user, resident):
    """A moral reviewer (staff) cannot post adjustments."""
    client = Client()
    client.force_login(make_user(Role.MORAL_REVIEWER))
    account = ledger.resident_account(user=resident)
    response = client.post(
        reverse("admin:points_account_adjust", args=[account.pk]), {"amount": 5, "reason": "x"}
    )
    assert response.status_code == 403
    assert Account.objects.get(pk=account.pk).balance == 0


def claim_for(resident, categories):
    return services.moral_claim_create(
        resident=resident,
        category=categories["bravery"],
        description="deed",
        occurred_on=dt.date(2026, 1, 5),
    )


def test_it_lets_a_reviewer_approve_from_the_queue(make_user, resident, categories):
    """A moral_reviewer approves selected claims with points from the admin queue."""
    reviewer = make_user(Role.MORAL_REVIEWER)
    client = Client()
    client.force_login(reviewer)
    claim = claim_for(resident, categories)
    url = reverse("admin:points_moralclaim_changelist")
    queue = client.get(url)
    assert queue.status_code == 200
    assert list(queue.context["cl"].result_list) == [claim]
    form = client.post(url, {"action": "approve", "_selected_action": [claim.pk]})
    assert form.status_code == 200
    client.post(
        url,
        {
            "action": "approve",
            "_selected_action": [claim.pk],
            "apply": "1",
            "points": 99,
            **nonce_of(client),
        },
    )
    claim.refresh_from_db()
    assert claim.status == "pending"
    client.post(
        url,
        {
            "action": "approve",
            "_selected_action": [claim.pk],
            "apply": "1",
            "points": 40,
            **nonce_of(client),
        },
    )
    claim.refresh_from_db()
    assert (claim.status, claim.points, claim.decided_by) == ("approved", 40, reviewer)
    assert resident_summary(user=resident).moral == 40


def test_it_lets_a_reviewer_reject_but_not_their_own(make_user, categories):
    """Reject needs a reason; the reviewer's own claim is refused."""
    reviewer = make_user(Role.MORAL_REVIEWER)
    client = Client()
    client.force_login(reviewer)
    own = claim_for(reviewer, categories)
    url = reverse("admin:points_moralclaim_changelist")
    client.post(
        url,
        {
            "action": "reject",
            "_selected_action": [own.pk],
            "apply": "1",
            "reason": "no",
            **nonce_of(client),
        },
    )
    own.refresh_from_db()
    assert own.status == "pending"


def test_it_lets_a_district_admin_revoke(su_client, superuser, resident, reviewer, categories):
    """Revoking an approved claim posts a compensating entry."""
    claim = claim_for(resident, categories)
    services.moral_claim_approve(claim_id=claim.pk, reviewer=reviewer, points=30)
    url = reverse("admin:points_moralclaim_changelist") + "?status=all"
    su_client.post(
        url,
        {
            "action": "revoke",
            "_selected_action": [claim.pk],
            "apply": "1",
            "reason": "false report",
            **nonce_of(su_client),
        },
    )
    claim.refresh_from_db()
    assert (claim.status, claim.revoked_by) == (MoralClaim.Status.REVOKED, superuser)
    assert resident_summary(user=resident).moral == 0


def test_it_creates_funded_campaigns_from_the_admin(su_client):
    """A campaign added in the admin is funded like one from the API."""
    response = su_client.post(
        reverse("admin:points_campaign_add"),
        {
            "title": "Admin grab",
            "starts_at_0": "2026-01-01",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2099-01-02",
            "ends_at_1": "08:00:00",
            "points_per_claim": 10,
            "claims": 7,
            **nonce_of(su_client),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    campaign = Campaign.objects.get()
    assert campaign_pool_balance(campaign=campaign) == 70
    assert ledger_verify().ok


def test_it_exports_the_settlement(su_client, resident, grant, reward, merchant_user):
    """Settlement by month (vouchers the merchant confirmed), in yuan, page and CSV."""
    grant(resident, 1000)
    redemption = services.redemption_create(reward=reward, resident=resident)
    services.redemption_confirm(code=voucher_url(redemption), merchant_user=merchant_user)
    merchant = reward.merchant
    page = su_client.get(reverse("admin:points_merchant_settlement", args=[merchant.pk]))
    assert page.status_code == 200
    assert page.context["rows"][0]["yuan"] == "5.00"
    csv = su_client.post(
        reverse("admin:points_merchant_changelist"),
        {"action": "export_settlement", "_selected_action": [merchant.pk]},
    )
    assert csv["Content-Type"].startswith("text/csv")
    lines = csv.content.decode("utf-8-sig").splitlines()
    assert lines[1].endswith(",500,5.00")
