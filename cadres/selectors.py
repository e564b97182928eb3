"""Reads of the cadres app."""

import datetime as dt

from django.db.models import Count, Q

from accounts.roles import Role
from accounts.selectors import user_has_role

from . import rankings
from .models import Cadre, RankingEntry, RankingMonth, Review, Unit, UnitMembership


def unit_ids_for(*, user, role: str) -> set[int]:
    """The units `user` acts for in `role` (unit_admin, urban_officer); empty for others."""
    if not (user and user.is_authenticated):
        return set()
    return set(
        UnitMembership.objects.filter(user=user, role=role).values_list("unit_id", flat=True)
    )


def is_district_admin(*, user) -> bool:
    return user_has_role(user=user, role=Role.DISTRICT_ADMIN)


def can_manage_unit(*, user, unit_id: int) -> bool:
    """District admins manage every unit; a unit_admin only their own."""
    if is_district_admin(user=user):
        return True
    return user_has_role(user=user, role=Role.UNIT_ADMIN) and unit_id in unit_ids_for(
        user=user, role=Role.UNIT_ADMIN
    )


def can_see_badge(*, user, cadre: Cadre) -> bool:
    """The cadre themselves, their unit's admin, a district admin."""
    if user.is_authenticated and cadre.user_id == user.pk:
        return True
    return can_manage_unit(user=user, unit_id=cadre.unit_id)


def can_answer(*, user, review: Review) -> bool:
    """The reviewed cadre, or an admin of the cadre's unit (district admins too)."""
    if review.cadre.user_id is not None and review.cadre.user_id == user.pk:
        return True
    return can_manage_unit(user=user, unit_id=review.cadre.unit_id)


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
    return Review.objects.filter(reviewer=user).select_related("cadre", "cadre__unit")


def reviews_of_cadre(*, cadre: Cadre):
    return Review.objects.filter(cadre=cadre)


def has_reviewed_today(*, user, cadre: Cadre) -> bool:
    if not user.is_authenticated:
        return False
    return Review.objects.filter(
        reviewer=user, cadre=cadre, local_date=rankings.local_today()
    ).exists()


def cadre_month_summary(*, cadre: Cadre, month: dt.date | None = None) -> dict:
    """Reviews of the cadre this month (Asia/Shanghai), for the badge page."""
    month = month or rankings.local_today().replace(day=1)
    return Review.objects.filter(
        cadre=cadre, local_date__gte=month, local_date__lt=rankings.next_month(month)
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


def published_months():
    return RankingMonth.objects.filter(published_at__isnull=False).order_by("-month")


def published_month(*, month: dt.date) -> RankingMonth | None:
    return published_months().filter(month=month).first()


def ranking_entries(*, ranking: RankingMonth, scope: str, unit_id: int | None = None):
    if scope == RankingEntry.Scope.CADRE and unit_id is not None:
        queryset = ranking.entries.filter(
            scope=RankingEntry.Scope.UNIT_CADRE, scope_unit_id=unit_id
        )
    else:
        queryset = ranking.entries.filter(scope=scope)
    return queryset.order_by("position")


def ranking_month_verify(*, ranking: RankingMonth) -> bool:
    """Recompute a published month's digest from its stored entries: True when it matches."""
    from .services import ranking_digest

    if ranking.published_at is None:
        return False
    previous = (
        RankingMonth.objects.filter(month__lt=ranking.month, published_at__isnull=False)
        .order_by("-month")
        .first()
    )
    if ranking.previous_digest != (previous.digest if previous else ""):
        return False
    return (
        ranking_digest(ranking=ranking, previous_digest=ranking.previous_digest) == ranking.digest
    )


# The names of the values the digest covers, in the order `services.ranking_digest` hashes
# them; the open data publishes each entry under these names.
DIGEST_FIELDS = (
    "scope",
    "scope_unit_id",
    "unit_id",
    "cadre_id",
    "name",
    "unit_name",
    "rank",
    "reviews",
    "satisfaction_rate",
    "response_rate",
    "rejection_rate",
    "score",
    "bottom",
)


def ranking_digest_entries(*, ranking: RankingMonth) -> list[dict]:
    """A published month's entries exactly as its digest covers them, in the digest's order."""
    from .services import _digest_entries

    return [dict(zip(DIGEST_FIELDS, row, strict=True)) for row in _digest_entries(ranking)]
