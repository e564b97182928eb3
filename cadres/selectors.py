"""Reads of the cadres app."""

import datetime as dt

from django.db.models import Count, Q

from core.months import local_today, next_month

from .models import Cadre, Review, ServiceTicket, Unit, UnitMembership


def unit_ids_for(*, user, role: str) -> set[int]:
    """The units `user` acts for in `role` (unit_admin, urban_officer); empty for others."""
    if not (user and user.is_authenticated):
        return set()
    return set(
        UnitMembership.objects.filter(user=user, role=role).values_list("unit_id", flat=True)
    )


def audit_unit_name(user, role: str) -> str:
    """The unit an actor acts for in `role`, for the audit trail (core.audit): the
    units of their memberships in that role, else the unit of the cadre they are."""
    names = sorted(
        UnitMembership.objects.filter(user=user, role=role).values_list("unit__name", flat=True)
    )
    if names:
        return ", ".join(names)
    return Cadre.objects.filter(user=user).values_list("unit__name", flat=True).first() or ""


def units_list():
    return Unit.objects.select_related("parent").order_by("pk")


def unit_cadres(*, unit: Unit):
    return Cadre.objects.filter(unit=unit, active=True).select_related("unit").order_by("pk")


def cadre_of_user(*, user) -> Cadre | None:
    """The cadre record a user signs in as (grant_role --cadre), if any."""
    return Cadre.objects.select_related("unit").filter(user=user).first()


def cadre_get(*, pk: int) -> Cadre | None:
    return Cadre.objects.select_related("unit").filter(pk=pk).first()


def review_get(*, pk: int) -> Review | None:
    return Review.objects.select_related("cadre", "cadre__unit").filter(pk=pk).first()


def reviews_mine(*, user):
    return Review.objects.filter(reviewer=user).select_related("cadre", "cadre__unit", "appeal")


def reviews_of_cadre(*, cadre: Cadre):
    return Review.objects.filter(cadre=cadre).select_related("appeal")


def has_reviewed_today(*, user, cadre: Cadre) -> bool:
    if not user.is_authenticated:
        return False
    return Review.objects.filter(reviewer=user, cadre=cadre, local_date=local_today()).exists()


def cadre_month_summary(*, cadre: Cadre, month: dt.date | None = None) -> dict:
    """Reviews of the cadre this month (Asia/Shanghai), for the badge page."""
    month = month or local_today().replace(day=1)
    return Review.objects.filter(
        cadre=cadre, local_date__gte=month, local_date__lt=next_month(month)
    ).aggregate(reviews=Count("id"), satisfied=Count("id", filter=Q(rating__gte=4)))


def unit_review_summary(*, unit: Unit) -> dict:
    """What a unit's admin watches: bad reviews waiting for an answer, and overdue ones."""
    return Review.objects.filter(cadre__unit=unit).aggregate(
        reviews=Count("id"),
        bad=Count("id", filter=Q(rating__lte=2)),
        unanswered_bad=Count("id", filter=Q(rating__lte=2, responded_at__isnull=True)),
        overdue=Count("id", filter=Q(overdue_at__isnull=False, responded_at__isnull=True)),
        overdue_total=Count("id", filter=Q(overdue_at__isnull=False)),
    )


def ticket_get(*, pk: int) -> ServiceTicket | None:
    return ServiceTicket.objects.select_related("cadre", "cadre__unit").filter(pk=pk).first()
