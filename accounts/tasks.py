from celery import shared_task
from django.core.management import call_command

from .services import signed_out_sessions_flush


@shared_task(name="accounts.tasks.expired_tokens_flush")
def expired_tokens_flush() -> None:
    """Daily: drop refresh tokens past their expiry, their blacklist entries, and the
    signed-out sessions whose access tokens have all expired."""
    call_command("flushexpiredtokens")
    signed_out_sessions_flush()
