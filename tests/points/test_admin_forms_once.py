"""A double submit of the points admin's forms (one session, one nonce, real threads
against PostgreSQL) posts once, and every submit shows the first's outcome: the
adjustment, and the moral claim queue's decisions."""

import pytest
from django.urls import reverse

from accounts.roles import Role
from points import ledger, services
from points.models import Campaign, LedgerTransaction, MoralClaim
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.forms import signed_in, tapped_at_once, texts

from .test_admin import claim_for, superuser  # noqa: F401 (a fixture)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_posts_one_adjustment_for_a_double_submit(admin_user, resident, grant):
    grant(resident, 100)
    account = ledger.resident_account(user=resident)
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        admin_user,
        reverse("admin:points_account_adjust", args=[account.pk]),
        {"amount": "-30", "reason": "duplicate grant"},
    )
    assert LedgerTransaction.objects.count() == transactions + 1
    assert resident_summary(user=resident).redeemable == 70
    assert all("调整已入账" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "action, data, status",
    [
        ("approve", {"points": "40"}, MoralClaim.Status.APPROVED),
        ("reject", {"reason": "no proof"}, MoralClaim.Status.REJECTED),
    ],
)
def test_it_decides_a_moral_claim_once_for_a_double_submit(
    make_user, resident, categories, action, data, status
):
    reviewer = make_user(Role.MORAL_REVIEWER)
    claim = claim_for(resident, categories)
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        reviewer,
        reverse("admin:points_moralclaim_changelist"),
        {"action": action, "_selected_action": [claim.pk], "apply": "1", **data},
    )
    claim.refresh_from_db()
    assert claim.status == status
    assert LedgerTransaction.objects.count() == transactions + (action == "approve")
    assert resident_summary(user=resident).moral == (40 if action == "approve" else 0)
    assert all("已处理 1 条申请" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_revokes_a_moral_claim_once_for_a_double_submit(
    admin_user, resident, categories, reviewer
):
    claim = claim_for(resident, categories)
    services.moral_claim_approve(claim_id=claim.pk, reviewer=reviewer, points=30)
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        admin_user,
        reverse("admin:points_moralclaim_changelist") + "?status=all",
        {"action": "revoke", "_selected_action": [claim.pk], "apply": "1", "reason": "false"},
    )
    claim.refresh_from_db()
    assert claim.status == MoralClaim.Status.REVOKED
    assert LedgerTransaction.objects.count() == transactions + 1
    assert resident_summary(user=resident).moral == 0
    assert all("已处理 1 条申请" in page for page in texts(responses))
    assert ledger_verify().ok


@pytest.mark.django_db
def test_an_adjustment_without_its_nonce_posts_nothing(admin_user, resident):
    account = ledger.resident_account(user=resident)
    transactions = LedgerTransaction.objects.count()
    page = signed_in(admin_user).post(
        reverse("admin:points_account_adjust", args=[account.pk]),
        {"amount": "30", "reason": "gift"},
        follow=True,
    )
    assert "此表单已过期或不完整" in page.content.decode()
    assert LedgerTransaction.objects.count() == transactions


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_funds_one_campaign_for_a_double_submit_of_the_add_form(superuser):  # noqa: F811
    transactions = LedgerTransaction.objects.count()
    responses = tapped_at_once(
        superuser,
        reverse("admin:points_campaign_add"),
        {
            "title": "Grab",
            "starts_at_0": "2026-12-01",
            "starts_at_1": "08:00:00",
            "ends_at_0": "2026-12-31",
            "ends_at_1": "20:00:00",
            "points_per_claim": "88",
            "claims": "5",
        },
    )
    assert Campaign.objects.count() == 1
    assert LedgerTransaction.objects.count() == transactions + 1
    assert all(response.redirect_chain for response in responses)
    assert ledger_verify().ok
