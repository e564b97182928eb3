"""Reads of moderation: the appeals (a cadre's, its units', the deciders' queue) and
the cadres appealing most."""

import datetime as dt

from django.db.models import Count, Q

from cadres.models import Cadre, Review
from core.months import next_month

from .models import Appeal

# --- Appeals ---------------------------------------------------------------------------


def appeals_of_cadre(*, cadre: Cadre):
    return Appeal.objects.filter(review__cadre=cadre).select_related("review").order_by("-pk")


def appeals_of_units(*, unit_ids: set[int]):
    return (
        Appeal.objects.filter(review__cadre__unit_id__in=unit_ids)
        .select_related("review")
        .order_by("-pk")
    )


APPEAL_STATES = ("pending", "overdue", "decided")


def appeals_queue(*, state: str | None, now: dt.datetime):
    """The district's appeals: pending (due first), overdue (pending past due), decided."""
    queryset = Appeal.objects.select_related("review", "review__cadre", "review__cadre__unit")
    if state == "decided":
        return queryset.filter(status=Appeal.Status.DECIDED).order_by("-decided_at", "-pk")
    queryset = queryset.filter(status=Appeal.Status.PENDING)
    if state == "overdue":
        queryset = queryset.filter(due_at__lt=now)
    return queryset.order_by("due_at", "pk")


def appeal_get(*, pk: int) -> Appeal | None:
    return (
        Appeal.objects.select_related("review", "review__cadre", "review__cadre__unit")
        .filter(pk=pk)
        .first()
    )


def cadres_appealing_most(*, month: dt.date) -> list[int]:
    """Cadres whose appeals against reviews of `month` number more than half of their bad
    reviews of that month (a signal for moderation: appealing as a habit)."""
    month = month.replace(day=1)
    in_month = Q(local_date__gte=month, local_date__lt=next_month(month))
    rows = (
        Review.objects.filter(in_month)
        .order_by()
        .values("cadre_id")
        .annotate(
            bad=Count("id", filter=Q(rating__lte=2)),
            appealed=Count("appeal", filter=Q(appeal__isnull=False)),
        )
        .filter(appealed__gt=0)
        .values_list("cadre_id", "bad", "appealed")
    )
    return sorted(cadre_id for cadre_id, bad, appealed in rows if 2 * appealed > bad)
