"""Reads of the stalls app. Every list here runs a fixed number of queries."""

import datetime
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres.selectors import unit_ids_for
from core.integers import parse_int
from core.routers import read_database

from .models import (
    Inspection,
    Registration,
    RenewalReminder,
    Site,
    Stall,
    StallAppeal,
    StallReport,
    TradingWindow,
)
from .terms import reminder_days


def active_stalls_count():
    """A site's active stalls, as an annotation (the public list and the admin)."""
    return Coalesce(
        Subquery(
            Stall.objects.filter(site=OuterRef("pk"), status=Stall.Status.ACTIVE)
            .order_by()
            .values("site")
            .annotate(n=Count("pk"))
            .values("n")
        ),
        0,
    )


def sites_public() -> QuerySet[Site]:
    """Sites with their unit, windows and `active_stalls` (free = capacity - active)."""
    return (
        Site.objects.using(read_database())
        .select_related("unit")
        .annotate(active_stalls=active_stalls_count())
        .prefetch_related(Prefetch("windows", queryset=TradingWindow.objects.order_by("start")))
    )


def free_slots(site: Site) -> int:
    active = getattr(site, "active_stalls", None)
    if active is None:
        active = site.stalls.filter(status=Stall.Status.ACTIVE).count()
    return max(0, site.capacity - active)


def free_slot_numbers(*, site: Site) -> list[int]:
    held = set(
        Stall.objects.filter(site=site, status=Stall.Status.ACTIVE).values_list("slot", flat=True)
    )
    return [slot for slot in range(1, site.capacity + 1) if slot not in held]


def stalls_public() -> QuerySet[Stall]:
    """The public stall view's read (the replica when there is one)."""
    return (
        Stall.objects.using(read_database())
        .select_related("site", "site__unit", "registration")
        .prefetch_related(
            Prefetch("site__windows", queryset=TradingWindow.objects.order_by("start"))
        )
    )


def id_number_unit_ids(*, user) -> set[int]:
    """The units whose vendors' ID numbers `user` may read whole (officers only)."""
    if not user_has_role(user=user, role=Role.URBAN_OFFICER):
        return set()
    return unit_ids_for(user=user, role=Role.URBAN_OFFICER)


def managed_unit_ids(*, user) -> set[int] | None:
    """The units whose sites `user` manages; None means all (district_admin)."""
    if user_has_role(user=user, role=Role.DISTRICT_ADMIN):
        return None
    if not user_has_role(user=user, role=Role.URBAN_OFFICER):
        return set()
    return unit_ids_for(user=user, role=Role.URBAN_OFFICER)


def _within_units(queryset: QuerySet, *, user, field: str) -> QuerySet:
    unit_ids = managed_unit_ids(user=user)
    if unit_ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": unit_ids})


def _with_waiting_ahead(queryset: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate `waiting_ahead`: waiting registrations at the same site filed earlier."""
    ahead = (
        Registration.objects.filter(site=OuterRef("site"), status=Registration.Status.WAITING)
        .filter(
            Q(created_at__lt=OuterRef("created_at"))
            | Q(created_at=OuterRef("created_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("site")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return queryset.annotate(waiting_ahead=Coalesce(Subquery(ahead), 0))


def _windows_prefetch():
    return Prefetch("site__windows", queryset=TradingWindow.objects.order_by("start"))


def registrations_for_officer(*, user, status: str | None = None) -> QuerySet[Registration]:
    queryset = _within_units(
        _with_waiting_ahead(
            Registration.objects.select_related("site", "site__unit", "vendor", "stall")
        ).prefetch_related(_windows_prefetch()),
        user=user,
        field="site__unit_id",
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def registrations_of_vendor(*, vendor) -> QuerySet[Registration]:
    return _with_waiting_ahead(
        Registration.objects.filter(vendor=vendor).select_related("site", "vendor", "stall")
    ).prefetch_related(_windows_prefetch())


def waiting_position(*, registration: Registration) -> int | None:
    if registration.status != Registration.Status.WAITING:
        return None
    if hasattr(registration, "waiting_ahead"):
        return registration.waiting_ahead + 1
    return (
        Registration.objects.filter(
            site_id=registration.site_id, status=Registration.Status.WAITING
        )
        .filter(
            Q(created_at__lt=registration.created_at)
            | Q(created_at=registration.created_at, pk__lt=registration.pk)
        )
        .count()
        + 1
    )


def reports_for_officer(*, user, status: str | None = None) -> QuerySet[StallReport]:
    queryset = _within_units(
        StallReport.objects.select_related("stall", "stall__site"),
        user=user,
        field="stall__site__unit_id",
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def reports_of_reporter(*, reporter) -> QuerySet[StallReport]:
    return StallReport.objects.filter(reporter=reporter).select_related("stall", "stall__site")


@dataclass(frozen=True)
class Window:
    """A trading window as plain data (what the cache keeps of a TradingWindow)."""

    start: datetime.time
    end: datetime.time
    days_mask: int

    @classmethod
    def from_iso(cls, start: str, end: str, days_mask: int) -> "Window":
        return cls(datetime.time.fromisoformat(start), datetime.time.fromisoformat(end), days_mask)


def trading_now(windows, *, at: datetime.datetime | None = None) -> bool:
    """Whether `at` (now by default) falls in one of the windows, in the site's local time."""
    local = timezone.localtime(at or timezone.now())
    weekday = local.weekday()
    yesterday = (weekday - 1) % 7
    now = local.time()
    for window in windows:
        if window.start < window.end:
            if window.days_mask & (1 << weekday) and window.start <= now < window.end:
                return True
        else:  # runs past midnight: the evening part today, the small hours from yesterday
            if window.days_mask & (1 << weekday) and now >= window.start:
                return True
            if window.days_mask & (1 << yesterday) and now < window.end:
                return True
    return False


@dataclass(frozen=True)
class DueReminder:
    """A renewal reminder due: `days_before` the stall's `expires_on`."""

    stall: Stall
    days_before: int


def stalls_due_for_renewal_reminder(today: datetime.date) -> list[DueReminder]:
    """Active stalls whose expiry is at most one of the reminder thresholds away (30 and
    7 days by default) and whose reminder for that threshold and expiry is not recorded.

    A stall gets the nearest threshold at or above its days left: a stall approved 5
    days before a renewal window would get the 7-day reminder only, never two at once.
    Two queries, whatever the number of stalls.
    """
    thresholds = reminder_days()
    if not thresholds:
        return []
    horizon = today + datetime.timedelta(days=max(thresholds))
    stalls = list(
        Stall.objects.filter(
            status=Stall.Status.ACTIVE, expires_on__gte=today, expires_on__lte=horizon
        )
        .select_related("site", "registration", "registration__vendor")
        .order_by("expires_on", "pk")
    )
    recorded = set(
        RenewalReminder.objects.filter(stall__in=[stall.pk for stall in stalls]).values_list(
            "stall_id", "expires_on", "days_before"
        )
    )
    due = []
    for stall in stalls:
        left = (stall.expires_on - today).days
        days = min(threshold for threshold in thresholds if threshold >= left)
        if (stall.pk, stall.expires_on, days) not in recorded:
            due.append(DueReminder(stall=stall, days_before=days))
    return due


def suspension_violation_officer_ids(*, stall: Stall) -> set[int]:
    """The officers who recorded a violation of `stall` since its last reinstatement (the
    violations behind its current suspension): none of them decides its appeal."""
    violations = Inspection.objects.filter(stall=stall, result=Inspection.Result.VIOLATION)
    if stall.reinstated_at is not None:
        violations = violations.filter(inspected_at__gt=stall.reinstated_at)
    return set(violations.values_list("officer_id", flat=True))


def latest_appeal(*, stall: Stall) -> StallAppeal | None:
    return StallAppeal.objects.filter(stall=stall).order_by("-pk").first()


def appeals_for_officer(*, user, status: str | None = None) -> QuerySet[StallAppeal]:
    queryset = _within_units(
        StallAppeal.objects.select_related("stall", "stall__site", "stall__registration"),
        user=user,
        field="stall__site__unit_id",
    )
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def appeals_of_vendor(*, vendor) -> QuerySet[StallAppeal]:
    return StallAppeal.objects.filter(vendor=vendor).select_related(
        "stall", "stall__site", "stall__registration"
    )


def site_vendors(site_id: str) -> QuerySet:
    """The vendors trading at a site (an active stall there): a broadcast's audience
    "site_vendors:<site id>" (registered with notifications in StallsConfig.ready)."""
    site_pk = parse_int(site_id, min_value=1)
    if site_pk is None:
        return get_user_model().objects.none()
    return get_user_model().objects.filter(
        pk__in=Stall.objects.filter(site_id=site_pk, status=Stall.Status.ACTIVE).values(
            "registration__vendor_id"
        )
    )


def site_vendor_audiences() -> list[tuple[str, str]]:
    """The broadcast form's choices: the vendors of each site."""
    return [
        (f"site_vendors:{site.pk}", _("Vendors of %(site)s") % {"site": site.name})
        for site in Site.objects.order_by("name")
    ]
