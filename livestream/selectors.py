"""Reads of the livestream duty: quarters in Asia/Shanghai, quota shortfalls, income not
transferred in time, and the public summary with its monthly sales."""

import dataclasses
import datetime as dt
import re
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from cadres.models import Cadre
from core.timezones import LOCAL_TZ

from .models import Income, Product, Session, Transfer

_QUARTER_RE = re.compile(r"^([0-9]{4})-?Q([1-4])$")
ZERO = Decimal("0.00")


@dataclasses.dataclass(frozen=True)
class Quarter:
    year: int
    number: int

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> dt.datetime:
        """The first moment of the quarter in Asia/Shanghai (aware)."""
        return dt.datetime(self.year, 3 * self.number - 2, 1, tzinfo=LOCAL_TZ)

    @property
    def end(self) -> dt.datetime:
        return self.next().start

    def next(self) -> "Quarter":
        return (
            Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)
        )


def quarter_of(moment: dt.datetime) -> Quarter:
    local = moment.astimezone(LOCAL_TZ)
    return Quarter(local.year, (local.month - 1) // 3 + 1)


def current_quarter() -> Quarter:
    return quarter_of(timezone.now())


def parse_quarter(text: str) -> Quarter | None:
    """`2026Q1` (or `2026-Q1`); None for anything else."""
    match = _QUARTER_RE.match(text or "")
    if not match or not 2000 <= int(match.group(1)) <= 2999:
        return None
    return Quarter(int(match.group(1)), int(match.group(2)))


def quota_for(rank: str) -> int:
    return settings.LIVESTREAM_QUOTA.get(rank, 0)


def products_active():
    return Product.objects.filter(active=True).order_by("pk")


def session_get(*, pk: int) -> Session | None:
    return Session.objects.select_related("unit").filter(pk=pk).first()


def sessions_public(*, quarter: Quarter | None = None):
    queryset = Session.objects.select_related("unit").prefetch_related("hosts", "products")
    if quarter is not None:
        queryset = queryset.filter(starts_at__gte=quarter.start, starts_at__lt=quarter.end)
    return queryset.order_by("-pk")


def income_get(*, pk: int) -> Income | None:
    return Income.objects.select_related("cadre", "session").filter(pk=pk).first()


def transfer_get(*, pk: int) -> Transfer | None:
    return (
        Transfer.objects.select_related("income", "income__cadre", "income__session")
        .filter(pk=pk)
        .first()
    )


def shortfalls(*, quarter: Quarter, unit_ids: set[int] | None = None) -> list[dict]:
    """Active cadres whose rank carries a quota and who hosted fewer held sessions (starting
    in the quarter, Asia/Shanghai) than it; `unit_ids` None means every unit."""
    ranks = [rank for rank, quota in settings.LIVESTREAM_QUOTA.items() if quota > 0]
    in_quarter = Q(
        live_sessions__starts_at__gte=quarter.start, live_sessions__starts_at__lt=quarter.end
    )
    cadres = (
        Cadre.objects.filter(active=True, rank__in=ranks)
        .select_related("unit")
        .annotate(
            held=Count(
                "live_sessions",
                filter=in_quarter & Q(live_sessions__outcome_recorded_at__isnull=False),
                distinct=True,
            ),
            planned=Count(
                "live_sessions",
                filter=in_quarter & Q(live_sessions__outcome_recorded_at__isnull=True),
                distinct=True,
            ),
        )
        .order_by("unit__name", "name", "pk")
    )
    if unit_ids is not None:
        cadres = cadres.filter(unit_id__in=unit_ids)
    result = []
    for cadre in cadres:
        quota = quota_for(cadre.rank)
        if cadre.held < quota:
            result.append(
                {
                    "cadre": cadre,
                    "quota": quota,
                    "held": cadre.held,
                    "planned": cadre.planned,
                    "missing": quota - cadre.held,
                }
            )
    return result


def held_count(*, cadre: Cadre, quarter: Quarter) -> int:
    return cadre.live_sessions.filter(
        starts_at__gte=quarter.start, starts_at__lt=quarter.end, outcome_recorded_at__isnull=False
    ).count()


def incomes_overdue(*, unit_ids: set[int] | None = None, today: dt.date | None = None):
    """Income entries with no pending or confirmed transfer more than
    LIVESTREAM_TRANSFER_DAYS days after they were received (Asia/Shanghai days)."""
    today = today or timezone.localdate(timezone=LOCAL_TZ)
    cutoff = today - dt.timedelta(days=settings.LIVESTREAM_TRANSFER_DAYS)
    live_transfer = Transfer.objects.filter(
        income=OuterRef("pk"), status__in=[Transfer.Status.PENDING, Transfer.Status.CONFIRMED]
    )
    queryset = (
        Income.objects.filter(amount__gt=0, received_on__lt=cutoff)
        .exclude(Exists(live_transfer))
        .select_related("cadre", "cadre__unit", "session")
        .order_by("received_on", "pk")
    )
    if unit_ids is not None:
        queryset = queryset.filter(cadre__unit_id__in=unit_ids)
    return queryset


def transfers_pending():
    return Transfer.objects.filter(status=Transfer.Status.PENDING).select_related(
        "income", "income__cadre"
    )


def public_summary(*, quarter: Quarter) -> dict:
    """What anyone may see for a quarter: held sessions and their sales, and per cadre the
    income received and where it went (confirmed transfers per fund)."""
    sessions = Session.objects.filter(
        starts_at__gte=quarter.start, starts_at__lt=quarter.end, outcome_recorded_at__isnull=False
    )
    totals = sessions.aggregate(sessions=Count("pk"), sales=Sum("sales"), orders=Sum("orders"))
    incomes = Income.objects.filter(session__in=sessions)
    confirmed = Transfer.objects.filter(
        income__session__in=sessions, status=Transfer.Status.CONFIRMED
    )
    per_cadre: dict[int, dict] = {}
    hosted = (
        Cadre.objects.filter(live_sessions__in=sessions)
        .select_related("unit")
        .annotate(sessions=Count("live_sessions", distinct=True), sales=Sum("live_sessions__sales"))
        .order_by("unit__name", "name", "pk")
    )
    for cadre in hosted:
        per_cadre[cadre.pk] = {
            "cadre": cadre,
            "sessions": cadre.sessions,
            "sales": cadre.sales or ZERO,
            "income": ZERO,
            "transferred": ZERO,
        }
    for row in incomes.values("cadre_id").annotate(total=Sum("amount")):
        if row["cadre_id"] in per_cadre:
            per_cadre[row["cadre_id"]]["income"] = row["total"]
    for row in confirmed.values("income__cadre_id").annotate(total=Sum("amount")):
        if row["income__cadre_id"] in per_cadre:
            per_cadre[row["income__cadre_id"]]["transferred"] = row["total"]
    funds = list(
        confirmed.values("fund")
        .annotate(total=Sum("amount"), transfers=Count("pk"))
        .order_by("fund")
    )
    income_total = incomes.aggregate(total=Sum("amount"))["total"] or ZERO
    transferred_total = confirmed.aggregate(total=Sum("amount"))["total"] or ZERO
    return {
        "quarter": quarter.label,
        "sessions": totals["sessions"],
        "orders": totals["orders"] or 0,
        "sales": totals["sales"] or ZERO,
        "income": income_total,
        "transferred": transferred_total,
        "cadres": list(per_cadre.values()),
        "funds": funds,
    }


def monthly_sales(*, months: int = 12, until: dt.date | None = None) -> list[tuple[str, Decimal]]:
    """Sales of held sessions per Asia/Shanghai month, the last `months` months, oldest first."""
    until = (until or timezone.localdate(timezone=LOCAL_TZ)).replace(day=1)
    labels = []
    year, month = until.year, until.month
    for _ in range(months):
        labels.append(f"{year:04d}-{month:02d}")
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    labels.reverse()
    first = dt.datetime(int(labels[0][:4]), int(labels[0][5:]), 1, tzinfo=LOCAL_TZ)
    rows = (
        Session.objects.filter(outcome_recorded_at__isnull=False, starts_at__gte=first)
        .annotate(m=TruncMonth("starts_at", tzinfo=LOCAL_TZ))
        .values("m")
        .annotate(total=Sum("sales"))
    )
    totals = {row["m"].strftime("%Y-%m"): row["total"] for row in rows}
    return [(label, totals.get(label, ZERO)) for label in labels]
