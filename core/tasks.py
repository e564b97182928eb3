from celery import shared_task

from .idempotency import idempotency_keys_purge as purge


@shared_task(name="core.tasks.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    """Hourly: forget Idempotency-Keys past their time to live (safe to run twice)."""
    return purge()
