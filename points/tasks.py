"""Celery tasks of the points app: safe to run twice."""

import datetime as dt

from celery import shared_task

from . import campaigns, reconcile, services


@shared_task(name="points.tasks.campaign_gates_reconcile")
def campaign_gates_reconcile() -> int:
    """Rebuild the Redis gate of every open campaign from the database (the truth)."""
    return reconcile.campaign_gates_reconcile()


@shared_task(name="points.tasks.campaigns_announce_due")
def campaigns_announce_due() -> int:
    """Every minute: announce the campaigns opening within the lead time, once each."""
    return campaigns.campaigns_announce_due()


@shared_task(name="points.tasks.redemptions_expire")
def redemptions_expire() -> int:
    """Refund from escrow every voucher unused after VOUCHER_VALID_DAYS (idempotent)."""
    return services.redemptions_expire()


@shared_task(name="points.tasks.points_expire")
def points_expire(today: str | None = None) -> int:
    """Beat, 00:10 Asia/Shanghai: expire the lots whose last day was before today."""
    return services.points_expire(today=dt.date.fromisoformat(today) if today else None)


@shared_task(name="points.tasks.points_expiry_notify")
def points_expiry_notify(today: str | None = None) -> int:
    """Beat, 09:30 Asia/Shanghai: tell the residents of points expiring in
    POINTS_EXPIRY_NOTICE_DAYS days (once per resident and day)."""
    return services.points_expiry_notify(today=dt.date.fromisoformat(today) if today else None)
