"""Reads of the points app."""

import datetime as dt
import time
from dataclasses import dataclass

from django.db.models import Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from core.timezones import LOCAL_TZ

from . import lots
from .models import Account, Campaign, Currency, Entry, Lot, PrivilegeTier, Redemption, Reward


@dataclass(frozen=True)
class ResidentSummary:
    redeemable: int
    moral: int
    tier: dict | None


def tier_for_score(*, score: int) -> PrivilegeTier | None:
    if score <= 0:
        return None
    return PrivilegeTier.objects.filter(min_score__lte=score).order_by("-min_score").first()


def resident_summary(*, user) -> ResidentSummary:
    """Balances and privilege tier of a resident, as /me and /points/balance show them.

    Two reads: the resident's accounts (one row per currency), then the tier.
    """
    balances = dict(
        Account.objects.filter(owner=user, kind=Account.Kind.RESIDENT).values_list(
            "currency", "balance"
        )
    )
    moral = balances.get(Currency.MORAL, 0)
    tier = tier_for_score(score=moral)
    return ResidentSummary(
        redeemable=balances.get(Currency.REDEEMABLE, 0),
        moral=moral,
        tier=tier.as_dict() if tier else None,
    )


@dataclass(frozen=True)
class Expiring:
    """Points that expire after `date` (their last day), unless spent before."""

    date: dt.date
    points: int


@dataclass(frozen=True)
class PointsBalance(ResidentSummary):
    """GET /points/balance: the summary and the next dates on which points expire."""

    expiring: list[Expiring]


EXPIRING_DATES_SHOWN = 3


def _unspent_lots():
    return Lot.objects.filter(
        remaining__gt=0,
        account__kind=Account.Kind.RESIDENT,
        account__currency=Currency.REDEEMABLE,
    )


def points_expiring(*, user, today: dt.date | None = None) -> list[Expiring]:
    """The next EXPIRING_DATES_SHOWN dates on which some of the resident's points expire."""
    today = today or lots.today()
    rows = (
        _unspent_lots()
        .filter(account__owner=user, expires_on__gte=today)
        .values("expires_on")
        .annotate(points=Sum("remaining"))
        .order_by("expires_on")[:EXPIRING_DATES_SHOWN]
    )
    return [Expiring(date=row["expires_on"], points=row["points"]) for row in rows]


def points_balance(*, user) -> PointsBalance:
    """The resident's summary (as /me shows it) with the points about to expire.

    No redeemable points, no lots to read: the summary's reads alone.
    """
    summary = resident_summary(user=user)
    return PointsBalance(
        redeemable=summary.redeemable,
        moral=summary.moral,
        tier=summary.tier,
        expiring=points_expiring(user=user) if summary.redeemable > 0 else [],
    )


@dataclass(frozen=True)
class ExpiringLots:
    """A resident's unspent points whose last day is `date` (for the notice before)."""

    user_id: int
    points: int
    date: dt.date


def lots_expiring_between(*, start: dt.date, end: dt.date) -> list[ExpiringLots]:
    """Per resident and date, the unspent points whose last day falls in [start, end].

    The notice 30 days before (POINTS_EXPIRY_NOTICE_DAYS) asks for one day:
    `lots_expiring_between(start=d, end=d)` with d = today + 30 days, every day.
    """
    rows = (
        _unspent_lots()
        .filter(expires_on__gte=start, expires_on__lte=end)
        .values("account__owner_id", "expires_on")
        .annotate(points=Sum("remaining"))
        .order_by("expires_on", "account__owner_id")
    )
    return [
        ExpiringLots(user_id=row["account__owner_id"], points=row["points"], date=row["expires_on"])
        for row in rows
    ]


@dataclass(frozen=True)
class PassCheck:
    """What a partner desk sees of a privilege pass: its holder, expiry and tier."""

    holder: object
    expires_at: dt.datetime
    tier: dict | None

    @property
    def privileges(self) -> list[str]:
        return self.tier["privileges"] if self.tier else []


def pass_check(*, privilege_pass) -> PassCheck:
    return PassCheck(
        holder=privilege_pass.holder,
        expires_at=privilege_pass.expires_at,
        tier=resident_summary(user=privilege_pass.holder).tier,
    )


def yuan(points: int) -> str:
    """100 points = 1 yuan, as a decimal string."""
    sign = "-" if points < 0 else ""
    whole, cents = divmod(abs(points), 100)
    return f"{sign}{whole}.{cents:02d}"


def entries_for(*, user, currency: str | None = None):
    entries = Entry.objects.filter(account__owner=user, account__kind=Account.Kind.RESIDENT)
    if currency:
        entries = entries.filter(account__currency=currency)
    return entries.select_related("account")


def campaigns_active(*, now=None):
    now = now or timezone.now()
    return (
        Campaign.objects.filter(starts_at__lte=now, ends_at__gt=now)
        .annotate(pool_balance=Sum("pool_accounts__balance"))
        .order_by("-pk")
    )


def campaign_pool_ids(*, campaign: Campaign) -> list[int]:
    """The campaign's pool shard accounts, in key order (kept on the object once read)."""
    if campaign.pool_ids is None:
        campaign.pool_ids = list(
            Account.objects.filter(campaign=campaign).order_by("pk").values_list("pk", flat=True)
        )
    return campaign.pool_ids


def campaign_pool_balance(*, campaign) -> int:
    return Account.objects.filter(campaign=campaign).aggregate(total=Sum("balance"))["total"] or 0


def campaign_claims_left(*, campaign: Campaign) -> int:
    balance = campaign.pool_balance
    if balance is None:
        balance = campaign_pool_balance(campaign=campaign)
    return balance // campaign.points_per_claim


_CAMPAIGN_CACHE: dict[int, tuple[float, Campaign]] = {}
CAMPAIGN_CACHE_SECONDS = 5


def campaign_for_claim(*, pk: int) -> Campaign | None:
    """The campaign a claim is for, from a short per-process cache.

    When a campaign opens, every request of the storm asks for the same row. Its window,
    points and pool never change after creation, so a few seconds of cache spares
    PostgreSQL thousands of identical reads (and sold-out answers come from Redis alone).
    """
    now = time.monotonic()
    cached = _CAMPAIGN_CACHE.get(pk)
    if cached is not None and now - cached[0] < CAMPAIGN_CACHE_SECONDS:
        return cached[1]
    campaign = Campaign.objects.filter(pk=pk).first()
    if campaign is not None:
        campaign_pool_ids(campaign=campaign)
        if len(_CAMPAIGN_CACHE) > 1000:
            _CAMPAIGN_CACHE.clear()
        _CAMPAIGN_CACHE[pk] = (now, campaign)
    return campaign


def rewards_catalog(*, now=None):
    now = now or timezone.now()
    return (
        Reward.objects.filter(active=True)
        .filter(Q(available_from__isnull=True) | Q(available_from__lte=now))
        .filter(Q(available_until__isnull=True) | Q(available_until__gt=now))
        .select_related("merchant")
    )


def merchant_settlement(*, merchant) -> list[dict]:
    """Points the merchant received per month (net of refunds), with the yuan owed.

    Months are Asia/Shanghai months, newest first.
    """
    rows = (
        Entry.objects.filter(account_id=merchant.account_id)
        .annotate(month=TruncMonth("created_at", tzinfo=LOCAL_TZ))
        .values("month")
        .annotate(points=Sum("amount"))
        .order_by("-month")
    )
    out = []
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.astimezone(LOCAL_TZ) if timezone.is_aware(month) else month
        out.append(
            {"month": f"{month:%Y-%m}", "points": row["points"], "yuan": yuan(row["points"])}
        )
    return out


def lots_of(*, user):
    """The resident's unspent lots of redeemable points, the soonest to expire first."""
    return _unspent_lots().filter(account__owner=user).order_by("expires_on", "pk")


def redemptions_of(*, user):
    """The resident's vouchers, newest first."""
    return (
        Redemption.objects.filter(resident=user).select_related("reward__merchant").order_by("-pk")
    )
