from celery import shared_task

from .form_nonces import form_submissions_purge
from .idempotency import idempotency_keys_purge as purge


@shared_task(name="core.tasks.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    """Hourly: forget Idempotency-Keys and spent form nonces past their time to live
    (safe to run twice)."""
    return purge() + form_submissions_purge()
