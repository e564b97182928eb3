"""A hypothesis state machine: random grants, claims, redemptions, cancellations,
refunds, confirmations, moral awards and revocations; the ledger's invariants and a
model of every balance hold after each step."""

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from accounts.roles import Role
from accounts.services import role_grant
from points import campaigns, ledger, services
from points.codes import voucher_url
from points.errors import (
    AlreadyClaimed,
    ClaimNotRevocable,
    InsufficientPoints,
    OutOfStock,
    RedemptionNotCancellable,
    SoldOut,
)
from points.models import Account, Currency, MoralCategory, Redemption
from points.selectors import campaign_pool_balance
from points.verification import ledger_verify
from tests.conftest import next_phone, redis_flush

RESIDENTS = 3


class LedgerMachine(RuleBasedStateMachine):
    def __init__(self):
        super().__init__()
        # The grab gate's Redis state outlives the previous example's rollback.
        redis_flush()
        self._atomic = transaction.atomic()
        self._atomic.__enter__()
        self.admin = role_grant(phone=next_phone(), role=Role.DISTRICT_ADMIN)
        self.reviewer = role_grant(phone=next_phone(), role=Role.MORAL_REVIEWER)
        self.residents = [
            role_grant(phone=next_phone(), role=Role.RESIDENT) for _ in range(RESIDENTS)
        ]
        self.merchant_user = role_grant(phone=next_phone(), role=Role.MERCHANT)
        self.merchant = services.merchant_create(name=f"Shop {self.admin.pk}")
        self.merchant.users.add(self.merchant_user)
        self.reward = services.reward_create(
            merchant=self.merchant, title="Pot tea", cost_points=70, stock=4
        )
        now = timezone.now()
        self.campaign = campaigns.campaign_create(
            title="Grab",
            starts_at=now - dt.timedelta(minutes=1),
            ends_at=now + dt.timedelta(hours=1),
            points_per_claim=40,
            claims=2,
            created_by=self.admin,
        )
        self.category = MoralCategory.objects.create(
            code=f"c{self.admin.pk}", name="deed", min_points=1, max_points=50
        )
        self.redeemable = [0] * RESIDENTS
        self.moral = [0] * RESIDENTS
        self.stock = 4
        self.pool_claims = 2
        self.claimed = set()
        self.redemptions = []  # (redemption id, resident index)
        self.claims = []  # (moral claim id, resident index, points)

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    # --- Rules.

    @rule(who=st.integers(0, RESIDENTS - 1), amount=st.integers(-300, 300).filter(bool))
    def adjust(self, who, amount):
        account = ledger.resident_account(user=self.residents[who])
        try:
            services.adjustment_post(
                account=account, amount=amount, reason="hypothesis", admin=self.admin
            )
        except InsufficientPoints:
            assert self.redeemable[who] + amount < 0
        else:
            self.redeemable[who] += amount

    @rule(who=st.integers(0, RESIDENTS - 1))
    def claim(self, who):
        try:
            result = campaigns.campaign_claim(campaign=self.campaign, resident=self.residents[who])
        except AlreadyClaimed:
            assert who in self.claimed
        except SoldOut:
            assert who not in self.claimed and self.pool_claims == 0
        else:
            assert who not in self.claimed and self.pool_claims > 0
            self.claimed.add(who)
            self.pool_claims -= 1
            self.redeemable[who] += 40
            assert result.balance == self.redeemable[who]

    @rule(who=st.integers(0, RESIDENTS - 1))
    def redeem(self, who):
        try:
            redemption = services.redemption_create(
                reward=self.reward, resident=self.residents[who]
            )
        except OutOfStock:
            assert self.stock == 0
        except InsufficientPoints:
            assert self.redeemable[who] < 70
        else:
            assert self.stock > 0 and self.redeemable[who] >= 70
            self.stock -= 1
            self.redeemable[who] -= 70
            self.redemptions.append((redemption.pk, who))

    @precondition(lambda self: self.redemptions)
    @rule(pick=st.integers(0, 100))
    def cancel(self, pick):
        redemption_id, who = self.redemptions[pick % len(self.redemptions)]
        status = Redemption.objects.get(pk=redemption_id).status
        try:
            services.redemption_cancel(redemption_id=redemption_id, resident=self.residents[who])
        except RedemptionNotCancellable:
            assert status != Redemption.Status.ISSUED
        else:
            assert status == Redemption.Status.ISSUED
            self.stock += 1
            self.redeemable[who] += 70

    @precondition(lambda self: self.redemptions)
    @rule(pick=st.integers(0, 100))
    def confirm(self, pick):
        from core.codes import CodeRevoked
        from points.errors import RedemptionAlreadyUsed

        redemption_id, _who = self.redemptions[pick % len(self.redemptions)]
        redemption = Redemption.objects.get(pk=redemption_id)
        try:
            services.redemption_confirm(
                code=voucher_url(redemption), merchant_user=self.merchant_user
            )
        except (RedemptionAlreadyUsed, CodeRevoked):
            assert redemption.status != Redemption.Status.ISSUED

    @rule(who=st.integers(0, RESIDENTS - 1), points=st.integers(1, 50))
    def moral_award(self, who, points):
        claim = services.moral_claim_create(
            resident=self.residents[who],
            category=self.category,
            description="deed",
            occurred_on=dt.date(2026, 1, 1),
        )
        services.moral_claim_approve(claim_id=claim.pk, reviewer=self.reviewer, points=points)
        self.moral[who] += points
        self.claims.append((claim.pk, who, points))

    @precondition(lambda self: self.claims)
    @rule(pick=st.integers(0, 100))
    def revoke(self, pick):
        claim_id, who, points = self.claims[pick % len(self.claims)]
        try:
            services.moral_claim_revoke(claim_id=claim_id, admin=self.admin, reason="wrong")
        except ClaimNotRevocable:
            pass
        else:
            self.moral[who] -= points

    # --- Invariants.

    @invariant()
    def ledger_is_consistent(self):
        report = ledger_verify()
        assert report.ok, report.problems

    @invariant()
    def balances_match_the_model(self):
        for index, user in enumerate(self.residents):
            balances = dict(Account.objects.filter(owner=user).values_list("currency", "balance"))
            assert balances.get(Currency.REDEEMABLE, 0) == self.redeemable[index] >= 0
            assert balances.get(Currency.MORAL, 0) == self.moral[index] >= 0
        pool = campaign_pool_balance(campaign=self.campaign)
        assert pool == self.pool_claims * 40


@pytest.mark.django_db
def test_it_keeps_the_ledger_invariants_under_random_operations():
    """After every step of random sequences, verify_ledger is clean and balances match."""
    LedgerMachine.TestCase.settings = settings(
        max_examples=25,
        database=None,
        stateful_step_count=20,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )
    LedgerMachine.TestCase().runTest()
