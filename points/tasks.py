"""Celery tasks of the points app: safe to run twice."""

from celery import shared_task


@shared_task(name="points.tasks.campaign_gates_reconcile")
def campaign_gates_reconcile() -> int:
    """Rebuild the Redis gate of every open campaign from the database (the truth)."""
    from .reconcile import campaign_gates_reconcile as run

    return run()
