from celery import shared_task
from django.core.management import call_command


@shared_task(name="accounts.tasks.expired_tokens_flush")
def expired_tokens_flush() -> None:
    """Daily: drop refresh tokens past their expiry, and their blacklist entries."""
    call_command("flushexpiredtokens")
