"""The Points section of API.md, each flow and each error code."""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from accounts.roles import Role
from core import photos
from points import lots, services
from points.codes import privilege_pass_issue, voucher_url
from points.models import Campaign, Entry, LedgerTransaction, MoralClaim, Redemption, Reward
from points.selectors import campaign_pool_balance, resident_summary
from points.verification import ledger_verify

pytestmark = pytest.mark.django_db

BASE = "/api/v1/points"


def ledger_size():
    return LedgerTransaction.objects.count(), Entry.objects.count()


# --- Balance and entries.


def test_it_shows_balances_in_points_and_yuan(resident_api, resident, grant, tiers):
    """GET /points/balance: redeemable, its yuan value, moral score and tier, and when
    the redeemable points expire (moral points never do)."""
    grant(resident, 1234)
    grant(resident, 60, currency="moral")
    body = resident_api.get(f"{BASE}/balance").json()
    _month, last_day = lots.lot_dates(timezone.now())
    assert body == {
        "redeemable": 1234,
        "redeemable_yuan": "12.34",
        "moral": 60,
        "tier": {"code": "bank_vip", "name": "Bank VIP", "privileges": ["bank VIP queue"]},
        "expiring": [{"date": last_day.isoformat(), "points": 1234}],
    }


def test_it_shows_balances_on_me(resident_api, resident, grant):
    """GET /me carries the points from the points app."""
    grant(resident, 70)
    body = resident_api.get("/api/v1/me").json()
    assert body["redeemable_balance"] == 70
    assert body["moral_score"] == 0
    assert body["moral_tier"] is None


def test_it_lists_own_entries_newest_first(
    resident_api, resident, other_resident, grant, django_assert_max_num_queries
):
    """GET /points/entries: own entries only, filtered by kind, newest first."""
    grant(resident, 10)
    grant(resident, 20)
    grant(resident, 5, currency="moral")
    grant(other_resident, 99)
    with django_assert_max_num_queries(4):
        body = resident_api.get(f"{BASE}/entries").json()
    assert [e["amount"] for e in body["results"]] == [5, 20, 10]
    body = resident_api.get(f"{BASE}/entries?kind=redeemable").json()
    assert [(e["amount"], e["balance_after"]) for e in body["results"]] == [(20, 30), (10, 10)]
    assert body["results"][0]["reason"] == "adjustment"
    assert resident_api.get(f"{BASE}/entries?kind=gold").status_code == 400


def test_it_requires_sign_in(api):
    """Points are a signed-in user's own business."""
    response = api.get(f"{BASE}/balance")
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


# --- Campaigns.


def test_it_lets_a_district_admin_create_a_funded_campaign(client_for, admin_user):
    """POST /points/campaigns funds the pool from issuance in the same transaction."""
    now = timezone.now()
    response = client_for(admin_user).post(
        f"{BASE}/campaigns",
        {
            "title": "Spring grab",
            "starts_at": now.isoformat(),
            "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
            "points_per_claim": 88,
            "claims": 1000,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["claims_left"] == 1000
    campaign = Campaign.objects.get()
    assert campaign_pool_balance(campaign=campaign) == 88_000
    assert ledger_verify().ok


@pytest.mark.parametrize(
    "change",
    [
        {"points_per_claim": 0},
        {"points_per_claim": -5},
        {"claims": 10**12},
        {"points_per_claim": "many"},
        {"claims": None},
        {"title": "x" * 101},
    ],
)
def test_it_refuses_bad_campaigns(client_for, admin_user, change):
    """Zero, negative, huge or wrong-typed values are 400 and fund nothing."""
    now = timezone.now()
    body = {
        "title": "Grab",
        "starts_at": now.isoformat(),
        "ends_at": (now + dt.timedelta(hours=1)).isoformat(),
        "points_per_claim": 10,
        "claims": 10,
        **change,
    }
    response = client_for(admin_user).post(f"{BASE}/campaigns", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert not Campaign.objects.exists()


def test_it_refuses_a_campaign_ending_before_it_starts(client_for, admin_user):
    """ends_at must follow starts_at."""
    now = timezone.now()
    response = client_for(admin_user).post(
        f"{BASE}/campaigns",
        {
            "title": "x",
            "starts_at": now.isoformat(),
            "ends_at": now.isoformat(),
            "points_per_claim": 1,
            "claims": 1,
        },
        format="json",
    )
    assert response.status_code == 400
    assert "ends_at" in response.json()["fields"]


def test_it_lets_only_district_admins_create_campaigns(resident_api):
    """A resident creating a campaign is 403."""
    response = resident_api.post(f"{BASE}/campaigns", {}, format="json")
    assert response.status_code == 403


def test_it_lists_open_campaigns_with_claims_left(
    resident_api, make_campaign, django_assert_max_num_queries
):
    """GET /points/campaigns: only open ones, with the claims left from the pool."""
    open_one = make_campaign(claims=3, points=10)
    make_campaign(starts_in=3600)
    make_campaign(starts_in=-7200, lasts=60)
    with django_assert_max_num_queries(3):
        body = resident_api.get(f"{BASE}/campaigns").json()
    assert [c["id"] for c in body["results"]] == [open_one.pk]
    assert body["results"][0]["claims_left"] == 3


def test_it_gives_each_resident_one_claim(resident_api, resident, make_campaign):
    """POST claim: 201 {amount, balance}; a second claim is 409 already_claimed."""
    campaign = make_campaign(claims=5, points=88)
    response = resident_api.post(f"{BASE}/campaigns/{campaign.pk}/claim")
    assert response.status_code == 201
    assert response.json() == {"amount": 88, "balance": 88}
    again = resident_api.post(f"{BASE}/campaigns/{campaign.pk}/claim")
    assert again.status_code == 409
    assert again.json()["code"] == "already_claimed"
    assert resident_summary(user=resident).redeemable == 88


def test_it_says_sold_out_when_the_pool_is_empty(client_for, make_user, make_campaign):
    """The claim after the last one is 409 sold_out and moves nothing."""
    campaign = make_campaign(claims=1, points=10)
    assert client_for(make_user()).post(f"{BASE}/campaigns/{campaign.pk}/claim").status_code == 201
    before = ledger_size()
    response = client_for(make_user()).post(f"{BASE}/campaigns/{campaign.pk}/claim")
    assert response.status_code == 409
    assert response.json()["code"] == "sold_out"
    assert ledger_size() == before


@pytest.mark.parametrize("starts_in,lasts", [(3600, 3600), (-7200, 3600)])
def test_it_refuses_claims_outside_the_window(resident_api, make_campaign, starts_in, lasts):
    """Before the start or after the end: 409 campaign_not_active."""
    campaign = make_campaign(starts_in=starts_in, lasts=lasts)
    before = ledger_size()
    response = resident_api.post(f"{BASE}/campaigns/{campaign.pk}/claim")
    assert response.status_code == 409
    assert response.json()["code"] == "campaign_not_active"
    assert ledger_size() == before


def test_it_answers_404_for_unknown_or_huge_campaign_ids(resident_api):
    """Unknown ids are 404; ids too long for a bigint are 404 too, never 500."""
    assert resident_api.post(f"{BASE}/campaigns/999999/claim").status_code == 404
    assert resident_api.post(f"{BASE}/campaigns/{'9' * 30}/claim").status_code == 404


def test_it_replays_an_idempotent_claim(resident_api, resident, make_campaign):
    """The same Idempotency-Key returns the first answer and moves nothing again."""
    campaign = make_campaign(claims=5, points=10)
    url = f"{BASE}/campaigns/{campaign.pk}/claim"
    first = resident_api.post(url, HTTP_IDEMPOTENCY_KEY="k1")
    second = resident_api.post(url, HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert resident_summary(user=resident).redeemable == 10


# --- Rewards and redemptions.


def test_it_lists_the_catalog(resident_api, reward, merchant, django_assert_max_num_queries):
    """GET /points/rewards: available rewards with their merchant."""
    services.reward_create(merchant=merchant, title="Old", cost_points=1, stock=1, active=False)
    with django_assert_max_num_queries(3):
        body = resident_api.get(f"{BASE}/rewards").json()
    assert body["results"] == [
        {
            "id": reward.pk,
            "title": "Cashmere scarf",
            "merchant": {"id": merchant.pk, "name": merchant.name},
            "cost_points": 500,
            "cost_yuan": "5.00",
            "stock": 10,
        }
    ]


def test_it_lets_a_merchant_add_its_own_rewards(client_for, merchant_user, merchant):
    """POST /points/rewards by a merchant adds to its own shop."""
    response = client_for(merchant_user).post(
        f"{BASE}/rewards", {"title": "Pot tea", "cost_points": 300, "stock": 5}, format="json"
    )
    assert response.status_code == 201
    assert Reward.objects.get(title="Pot tea").merchant == merchant


def test_it_refuses_rewards_for_another_shop(client_for, merchant_user, make_user):
    """A merchant naming a shop that is not theirs is 403; a resident is 403."""
    other = services.merchant_create(name="Other shop")
    response = client_for(merchant_user).post(
        f"{BASE}/rewards",
        {"title": "x", "cost_points": 1, "stock": 1, "merchant": other.pk},
        format="json",
    )
    assert response.status_code == 403
    response = client_for(make_user()).post(
        f"{BASE}/rewards", {"title": "x", "cost_points": 1, "stock": 1}, format="json"
    )
    assert response.status_code == 403


def test_it_lets_a_district_admin_add_rewards_for_a_merchant(client_for, admin_user, merchant):
    """A district_admin names the merchant; without one it is 400."""
    client = client_for(admin_user)
    body = {"title": "Juice", "cost_points": 200, "stock": 3}
    assert client.post(f"{BASE}/rewards", body, format="json").status_code == 400
    response = client.post(f"{BASE}/rewards", {**body, "merchant": merchant.pk}, format="json")
    assert response.status_code == 201


def test_it_redeems_a_reward(resident_api, resident, reward, grant):
    """POST /points/redemptions: points go into escrow (not yet to the merchant), a
    voucher is issued."""
    grant(resident, 600)
    response = resident_api.post(f"{BASE}/redemptions", {"reward": reward.pk}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "issued"
    assert body["cost_points"] == 500
    assert body["reward"]["id"] == reward.pk
    assert "/q/v." in body["code_url"] and len(body["code_url"]) <= 80
    assert resident_summary(user=resident).redeemable == 100
    reward.refresh_from_db()
    assert reward.stock == 9
    reward.merchant.account.refresh_from_db()
    assert reward.merchant.account.balance == 0
    assert services.escrow_account(merchant_id=reward.merchant_id).balance == 500
    assert ledger_verify().ok


def test_it_refuses_a_redemption_without_enough_points(resident_api, resident, reward, grant):
    """409 insufficient_points; nothing moves, the stock stays."""
    grant(resident, 499)
    before = ledger_size()
    response = resident_api.post(f"{BASE}/redemptions", {"reward": reward.pk}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "insufficient_points"
    assert ledger_size() == before
    reward.refresh_from_db()
    assert reward.stock == 10
    assert not Redemption.objects.exists()


def test_it_refuses_a_reward_out_of_stock_or_inactive(resident_api, resident, merchant, grant):
    """409 out_of_stock for no stock, for an inactive or an expired reward."""
    grant(resident, 1000)
    empty = services.reward_create(merchant=merchant, title="a", cost_points=1, stock=0)
    inactive = services.reward_create(
        merchant=merchant, title="b", cost_points=1, stock=5, active=False
    )
    ended = services.reward_create(
        merchant=merchant,
        title="c",
        cost_points=1,
        stock=5,
        available_until=timezone.now() - dt.timedelta(days=1),
    )
    before = ledger_size()
    for reward in (empty, inactive, ended):
        response = resident_api.post(f"{BASE}/redemptions", {"reward": reward.pk}, format="json")
        assert response.status_code == 409
        assert response.json()["code"] == "out_of_stock"
    assert ledger_size() == before


@pytest.mark.parametrize("reward", [None, "x", -1, 0, 10**20, 999999])
def test_it_refuses_bad_reward_ids(resident_api, reward):
    """Bad or unknown reward ids are 400, never 500."""
    response = resident_api.post(f"{BASE}/redemptions", {"reward": reward}, format="json")
    assert response.status_code == 400


def test_it_refunds_a_cancelled_voucher(resident_api, resident, reward, grant):
    """POST cancel: the points and the stock come back; a second cancel is 409."""
    grant(resident, 500)
    redemption_id = resident_api.post(
        f"{BASE}/redemptions", {"reward": reward.pk}, format="json"
    ).json()["id"]
    response = resident_api.post(f"{BASE}/redemptions/{redemption_id}/cancel")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled"
    assert resident_summary(user=resident).redeemable == 500
    reward.refresh_from_db()
    assert reward.stock == 10
    again = resident_api.post(f"{BASE}/redemptions/{redemption_id}/cancel")
    assert again.status_code == 409
    assert again.json()["code"] == "redemption_not_cancellable"
    assert ledger_verify().ok


def test_it_hides_other_residents_vouchers(client_for, resident, other_resident, reward, grant):
    """Cancelling someone else's voucher is 404 and their list is their own."""
    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    other = client_for(other_resident)
    assert other.post(f"{BASE}/redemptions/{redemption.pk}/cancel").status_code == 404
    assert other.get(f"{BASE}/redemptions").json()["results"] == []
    assert len(client_for(resident).get(f"{BASE}/redemptions").json()["results"]) == 1


def test_it_confirms_a_voucher_once(client_for, resident, merchant_user, reward, grant):
    """The reward's merchant confirms; the second time is 409; then it cannot be cancelled."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    merchant = client_for(merchant_user)
    code = voucher_url(redemption)
    response = merchant.post(f"{BASE}/redemptions/confirm", {"code": code}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "used"
    again = merchant.post(f"{BASE}/redemptions/confirm", {"code": code}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "redemption_already_used"
    cancel = client_for(resident).post(f"{BASE}/redemptions/{redemption.pk}/cancel")
    assert cancel.json()["code"] == "redemption_not_cancellable"


def test_it_gives_the_vouchers_times_in_shanghai_time(
    client_for, resident, merchant_user, reward, grant
):
    """The voucher a merchant confirms or scans carries its times with +08:00, as every
    other time of the API (DRF's DateTimeField), not UTC's +00:00."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    merchant = client_for(merchant_user)
    code = voucher_url(redemption)
    scanned = merchant.post("/api/v1/scan", {"code": code}, format="json").json()["redemption"]
    confirmed = merchant.post(f"{BASE}/redemptions/confirm", {"code": code}, format="json").json()
    for text in (scanned["created_at"], confirmed["created_at"], confirmed["used_at"]):
        assert text.endswith("+08:00"), text


def test_it_refuses_another_merchants_voucher(client_for, resident, reward, grant, make_user):
    """A merchant of another shop confirming or scanning is 403; the voucher stays issued."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    other_shop = services.merchant_create(name="Juice bar")
    stranger = client_for(make_user(Role.MERCHANT, merchant=other_shop.pk))
    code = voucher_url(redemption)
    assert (
        stranger.post(f"{BASE}/redemptions/confirm", {"code": code}, format="json").status_code
        == 403
    )
    assert stranger.post("/api/v1/scan", {"code": code}, format="json").status_code == 403
    assert (
        client_for(resident)
        .post(f"{BASE}/redemptions/confirm", {"code": code}, format="json")
        .status_code
        == 403
    )
    redemption.refresh_from_db()
    assert redemption.status == "issued"


def test_it_shows_a_voucher_to_its_merchant_on_scan(
    client_for, resident, merchant_user, reward, grant
):
    """POST /scan of a voucher by its merchant: type voucher, the redemption."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    body = (
        client_for(merchant_user)
        .post("/api/v1/scan", {"code": voucher_url(redemption)}, format="json")
        .json()
    )
    assert body["type"] == "voucher"
    assert body["redemption"]["id"] == redemption.pk
    assert body["redemption"]["holder"]["phone_masked"].count("*") == 4


def test_it_revokes_a_cancelled_vouchers_code(client_for, resident, merchant_user, reward, grant):
    """A cancelled voucher's code is 404 code_revoked; a forged one is code_invalid."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    services.redemption_cancel(redemption_id=redemption.pk, resident=resident)
    merchant = client_for(merchant_user)
    response = merchant.post(
        f"{BASE}/redemptions/confirm", {"code": voucher_url(redemption)}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "code_revoked")
    forged = voucher_url(redemption)[:-3] + "AAA"
    response = merchant.post(f"{BASE}/redemptions/confirm", {"code": forged}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "code_invalid")


def test_it_shows_the_voucher_page(client, resident, reward, grant):
    """/q/<token> of a voucher shows the reward and its QR code."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    response = client.get(voucher_url(redemption).split("127.0.0.1:8000")[-1])
    assert response.status_code == 200
    assert "Cashmere scarf" in response.content.decode()
    assert "<svg" in response.content.decode()


# --- Moral points.


def png_bytes(size=(10, 10)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, "red").save(buffer, format="PNG")
    return buffer.getvalue()


def test_it_lists_moral_categories_to_anyone(api, categories):
    """GET /points/moral/categories needs no sign-in; like every list, it is paginated."""
    body = api.get(f"{BASE}/moral/categories").json()
    assert body["next"] is None
    assert {"code": "bravery", "name": "bravery", "min_points": 20, "max_points": 50} in body[
        "results"
    ]


def test_it_files_a_moral_claim_with_a_photo(resident_api, categories):
    """POST /points/moral/claims (multipart) is 201 pending."""
    photo = SimpleUploadedFile("deed.png", png_bytes(), content_type="image/png")
    response = resident_api.post(
        f"{BASE}/moral/claims",
        {
            "category": "bravery",
            "description": "Pulled a child from the river",
            "occurred_on": "2026-01-05",
            "photo": photo,
        },
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    assert response.json()["photo_url"]
    listed = resident_api.get(f"{BASE}/moral/claims").json()["results"]
    assert [c["id"] for c in listed] == [response.json()["id"]]


@pytest.mark.parametrize(
    "change",
    [
        {"photo": SimpleUploadedFile("x.png", b"not an image", content_type="image/png")},
        {"category": "flying"},
        {"occurred_on": "2999-01-01"},
        {"occurred_on": "yesterday"},
        {"description": "x" * 2001},
    ],
)
def test_it_refuses_bad_moral_claims(resident_api, categories, change):
    """Not an image, unknown category, future date, over-long text: 400."""
    body = {"category": "good_deed", "description": "Helped", "occurred_on": "2026-01-05", **change}
    response = resident_api.post(f"{BASE}/moral/claims", body, format="multipart")
    assert response.status_code == 400
    assert not MoralClaim.objects.exists()


def test_it_refuses_photos_over_5_mb(resident_api, categories, monkeypatch):
    """A photo over 5 MB is 400."""
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 100)
    photo = SimpleUploadedFile("big.png", png_bytes((200, 200)), content_type="image/png")
    response = resident_api.post(
        f"{BASE}/moral/claims",
        {"category": "good_deed", "description": "x", "occurred_on": "2026-01-05", "photo": photo},
        format="multipart",
    )
    assert response.status_code == 400
    assert "photo" in response.json()["fields"]


def make_claim(resident, categories, code="bravery"):
    return services.moral_claim_create(
        resident=resident,
        category=categories[code],
        description="deed",
        occurred_on=dt.date(2026, 1, 5),
    )


def test_it_approves_a_claim_once(client_for, resident, reviewer, categories, tiers):
    """A reviewer approves inside the range; moral points are credited; twice is 409."""
    claim = make_claim(resident, categories)
    client = client_for(reviewer)
    response = client.post(f"{BASE}/moral/claims/{claim.pk}/approve", {"points": 50}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "approved"
    claim.refresh_from_db()
    assert claim.decided_by == reviewer and claim.decided_at
    summary = resident_summary(user=resident)
    assert (summary.moral, summary.redeemable, summary.tier["code"]) == (50, 0, "bank_vip")
    again = client.post(f"{BASE}/moral/claims/{claim.pk}/approve", {"points": 20}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "claim_already_decided")
    reject = client.post(f"{BASE}/moral/claims/{claim.pk}/reject", {"reason": "no"}, format="json")
    assert reject.json()["code"] == "claim_already_decided"
    assert resident_summary(user=resident).moral == 50


@pytest.mark.parametrize("points", [19, 51, 0, -5, 10**9, "ten", None])
def test_it_refuses_points_outside_the_range(client_for, resident, reviewer, categories, points):
    """Outside the category's range (or not a number): 400, the claim stays pending."""
    claim = make_claim(resident, categories)
    response = client_for(reviewer).post(
        f"{BASE}/moral/claims/{claim.pk}/approve", {"points": points}, format="json"
    )
    assert response.status_code == 400
    claim.refresh_from_db()
    assert claim.status == "pending"
    assert not LedgerTransaction.objects.exists()


def test_it_forbids_deciding_ones_own_claim(client_for, make_user, categories):
    """A reviewer's own claim is 403 to them."""
    reviewer = make_user(Role.MORAL_REVIEWER)
    claim = make_claim(reviewer, categories)
    client = client_for(reviewer)
    assert (
        client.post(
            f"{BASE}/moral/claims/{claim.pk}/approve", {"points": 30}, format="json"
        ).status_code
        == 403
    )
    assert (
        client.post(
            f"{BASE}/moral/claims/{claim.pk}/reject", {"reason": "x"}, format="json"
        ).status_code
        == 403
    )


def test_it_lets_only_reviewers_decide(resident_api, other_resident, categories):
    """A resident approving is 403; unknown claims are 404 for reviewers."""
    claim = make_claim(other_resident, categories)
    response = resident_api.post(
        f"{BASE}/moral/claims/{claim.pk}/approve", {"points": 30}, format="json"
    )
    assert response.status_code == 403


def test_it_rejects_a_claim_with_a_reason(client_for, resident, reviewer, categories):
    """Reject records who, when and why; nothing is credited."""
    claim = make_claim(resident, categories)
    response = client_for(reviewer).post(
        f"{BASE}/moral/claims/{claim.pk}/reject", {"reason": "No witness"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["reject_reason"] == "No witness"
    assert (
        client_for(reviewer)
        .post(f"{BASE}/moral/claims/999999/reject", {"reason": "x"}, format="json")
        .status_code
        == 404
    )
    assert resident_summary(user=resident).moral == 0


def test_it_revokes_an_approved_claim_with_a_compensating_entry(
    resident, reviewer, admin_user, categories
):
    """Revocation is a new entry; the approval entry stays."""
    claim = make_claim(resident, categories)
    services.moral_claim_approve(claim_id=claim.pk, reviewer=reviewer, points=30)
    services.moral_claim_revoke(claim_id=claim.pk, admin=admin_user, reason="false report")
    assert resident_summary(user=resident).moral == 0
    assert list(
        Entry.objects.filter(account__owner=resident)
        .order_by("id")
        .values_list("amount", flat=True)
    ) == [30, -30]
    with pytest.raises(services.ClaimNotRevocable):
        services.moral_claim_revoke(claim_id=claim.pk, admin=admin_user, reason="again")
    assert ledger_verify().ok


def test_it_never_spends_moral_points(resident_api, resident, reviewer, categories, reward):
    """A resident with only moral points cannot redeem: insufficient_points."""
    claim = make_claim(resident, categories, "good_deed")
    services.moral_claim_approve(claim_id=claim.pk, reviewer=reviewer, points=100)
    reward.cost_points = 50
    reward.save()
    response = resident_api.post(f"{BASE}/redemptions", {"reward": reward.pk}, format="json")
    assert response.json()["code"] == "insufficient_points"
    assert resident_summary(user=resident).moral == 100


# --- Privilege passes.


def test_it_issues_and_verifies_a_pass(resident_api, resident, client_for, partner, grant, tiers):
    """A partner sees only the tier, privileges, name and masked phone."""
    grant(resident, 120, currency="moral")
    response = resident_api.post(f"{BASE}/privilege-pass")
    assert response.status_code == 201
    body = response.json()
    assert len(body["code_url"]) <= 80
    verified = client_for(partner).post(
        f"{BASE}/privilege-pass/verify", {"code": body["code_url"]}, format="json"
    )
    assert verified.status_code == 200
    assert verified.json()["tier"] == {"code": "green", "name": "Green channel"}
    assert verified.json()["privileges"] == ["bank VIP queue", "medical green channel"]
    assert verified.json()["holder"] == {
        "display_name": "Alice",
        "phone_masked": resident.phone[:6] + "****" + resident.phone[-4:],
    }
    scanned = client_for(partner).post("/api/v1/scan", {"code": body["code_url"]}, format="json")
    assert scanned.json()["type"] == "privilege_pass"
    assert scanned.json()["pass"]["tier"]["code"] == "green"


def test_it_refuses_expired_and_forged_passes(resident, client_for, partner, monkeypatch):
    """Expired: 409 pass_expired; forged: 404 code_invalid; not a partner: 403."""
    code_url, _expires = privilege_pass_issue(resident=resident)
    partner_api = client_for(partner)
    forged = code_url[:-2] + ("AA" if not code_url.endswith("AA") else "BB")
    response = partner_api.post(f"{BASE}/privilege-pass/verify", {"code": forged}, format="json")
    assert (response.status_code, response.json()["code"]) == (404, "code_invalid")
    assert (
        client_for(resident)
        .post(f"{BASE}/privilege-pass/verify", {"code": code_url}, format="json")
        .status_code
        == 403
    )
    assert (
        client_for(resident).post("/api/v1/scan", {"code": code_url}, format="json").status_code
        == 403
    )
    later = timezone.now() + dt.timedelta(seconds=301)
    monkeypatch.setattr(timezone, "now", lambda: later)
    response = partner_api.post(f"{BASE}/privilege-pass/verify", {"code": code_url}, format="json")
    assert (response.status_code, response.json()["code"]) == (409, "pass_expired")


def test_it_refuses_a_voucher_as_a_pass(resident, partner, client_for, reward, grant):
    """A voucher's code is not a pass: 404 code_invalid."""

    grant(resident, 500)
    redemption = services.redemption_create(reward=reward, resident=resident)
    response = client_for(partner).post(
        f"{BASE}/privilege-pass/verify", {"code": voucher_url(redemption)}, format="json"
    )
    assert (response.status_code, response.json()["code"]) == (404, "code_invalid")


def test_it_links_merchant_users_with_grant_role(merchant):
    """grant_role PHONE merchant --merchant ID links the user to the merchant."""
    from django.core.management import call_command
    from django.core.management.base import CommandError

    call_command("grant_role", "+8613800138000", "merchant", "--merchant", str(merchant.pk))
    assert merchant.users.filter(phone="+8613800138000").exists()
    with pytest.raises(CommandError):
        call_command("grant_role", "+8613800138000", "merchant", "--merchant", "999999")


def test_it_spreads_a_pool_over_shards_and_drains_them_all(client_for, make_user, make_campaign):
    """A pool split over shard accounts still gives exactly `claims` claims."""
    from points.models import Account

    campaign = make_campaign(claims=20, points=5)
    shards = Account.objects.filter(campaign=campaign)
    assert shards.count() == 16
    assert sorted({a.balance for a in shards}) == [5, 10]
    url = f"{BASE}/campaigns/{campaign.pk}/claim"
    statuses = [client_for(make_user()).post(url).status_code for _ in range(21)]
    assert statuses == [201] * 20 + [409]
    assert campaign_pool_balance(campaign=campaign) == 0
    assert ledger_verify().ok


def test_it_refuses_a_claim_by_a_deactivated_user(client_for, make_user, make_campaign):
    """A valid token of a deactivated user is 401 and takes no claim."""
    campaign = make_campaign(claims=1, points=5)
    user = make_user()
    api = client_for(user)
    user.is_active = False
    user.save(update_fields=["is_active"])
    response = api.post(f"{BASE}/campaigns/{campaign.pk}/claim")
    assert response.status_code == 401
    assert client_for(make_user()).post(f"{BASE}/campaigns/{campaign.pk}/claim").status_code == 201


def test_it_shows_a_pass_page_only_to_partners(client, resident, partner, grant, tiers):
    """/q/<pass>: a partner signed in sees the tier; anyone else a sign-in form."""
    grant(resident, 60, currency="moral")
    code_url, _expires = privilege_pass_issue(resident=resident)
    path = code_url.split("127.0.0.1:8000")[-1]
    anonymous = client.get(path).content.decode()
    assert "Bank VIP" not in anonymous and 'id="signin"' in anonymous
    client.force_login(partner)
    page = client.get(path).content.decode()
    assert "Bank VIP" in page and resident.phone[-4:] in page


@pytest.fixture
def tight_rates(settings):
    """A user rate of 3 a minute and a claim rate of 2."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "user": "3/min", "claim": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    original = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = rates
    yield
    SimpleRateThrottle.THROTTLE_RATES = original


def test_it_counts_the_user_rate_and_the_claim_rate_in_one_step(
    resident_api, make_campaign, tight_rates
):
    """Claims count against the user's rate and the claim rate together: a claim the
    claim rate refuses (429) uses none of the user's budget, so one more request
    elsewhere passes before the user's rate is full."""
    campaigns = [make_campaign(claims=2, points=5) for _ in range(3)]
    statuses = [resident_api.post(f"{BASE}/campaigns/{c.pk}/claim").status_code for c in campaigns]
    assert statuses == [201, 201, 429]
    assert resident_api.get(f"{BASE}/balance").status_code == 200
    assert resident_api.get(f"{BASE}/balance").status_code == 429
