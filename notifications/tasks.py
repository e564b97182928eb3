"""Celery tasks: one notification's SMS (retried with backoff, sent at most once), the
dispatch beat (after the quiet hours, or when queueing was lost), broadcasts and the
staff digest; and `sms_enqueue`, the one way SMS are queued."""

import logging

from celery import shared_task
from django.conf import settings
from django.contrib import admin
from django.http import HttpRequest
from django.utils import timezone

from accounts.services import SMS_COUNT, otp_sms_expire
from core.admin import pending_queues

from . import delivery

logger = logging.getLogger(__name__)


def sms_enqueue(ids: list[int], *, start_after: float = 0.0) -> bool:
    """Queue these notifications' SMS, NOTIFY_SMS_BATCH_SIZE at a time, each batch
    NOTIFY_SMS_BATCH_PAUSE seconds after the one before (no flood of the provider).
    Best effort: with the broker down the dispatch beat queues them later; the change
    that caused them has committed already and is never undone for it."""
    size = settings.NOTIFY_SMS_BATCH_SIZE
    try:
        for index, pk in enumerate(ids):
            delay = start_after + (index // size) * settings.NOTIFY_SMS_BATCH_PAUSE
            sms_send.apply_async(args=[pk], countdown=delay or None, retry=False)
            SMS_COUNT.labels(kind="notification", outcome="queued").inc()
    except Exception:  # the broker's error, whatever it is
        logger.warning("SMS of %d notifications not queued; the dispatch beat retries", len(ids))
        return False
    return True


@shared_task(bind=True, name="notifications.tasks.sms_send", max_retries=None)
def sms_send(self, notification_id: int) -> str:
    """Send one notification's SMS. A provider failure is retried after
    NOTIFY_SMS_BACKOFF * 2^n seconds, NOTIFY_SMS_RETRIES times, then recorded as failed
    (visible in the admin). Running twice sends once (delivery.sms_deliver)."""
    retries = self.request.retries or 0
    while True:
        final = retries >= settings.NOTIFY_SMS_RETRIES
        outcome = delivery.sms_deliver(notification_id=notification_id, final=final)
        if outcome != "retry":
            return outcome
        if not self.request.is_eager:
            raise self.retry(countdown=settings.NOTIFY_SMS_BACKOFF * 2**retries)
        retries += 1  # in-process (no broker, no REDIS_URL): retried at once


@shared_task(name="notifications.tasks.sms_dispatch_due")
def sms_dispatch_due() -> int:
    """Every minute: queue the SMS held back by the quiet hours, or whose queueing was
    lost (queued NOTIFY_SMS_REQUEUE_SECONDS ago and still pending: queued again, once);
    record as `unknown` those `sending` for longer than NOTIFY_SMS_SENDING_TIMEOUT
    (notifications and sign-in codes: their sender stopped mid-way)."""
    now = timezone.now()
    lost = delivery.sms_sending_expire(now=now) + otp_sms_expire(now=now)
    if lost:
        logger.warning("%d SMS of unknown outcome: their sender stopped while sending", lost)
    ids = delivery.sms_due_ids(now=now, limit=settings.NOTIFY_SMS_DISPATCH_LIMIT)
    if not sms_enqueue(ids):
        delivery.sms_queueing_lost(ids)
    return len(ids)


@shared_task(name="notifications.tasks.broadcast_run")
def broadcast_run(broadcast_id: int) -> int:
    """Write a broadcast's rows in batches; its SMS, if any, in staggered batches."""
    batches: list[None] = []  # one item per SMS batch queued so far

    def on_sms(ids: list[int]) -> None:
        sms_enqueue(ids, start_after=len(batches) * settings.NOTIFY_SMS_BATCH_PAUSE)
        batches.extend([None] * -(-len(ids) // settings.NOTIFY_SMS_BATCH_SIZE))

    return delivery.broadcast_write(
        broadcast_id=broadcast_id,
        batch_size=settings.NOTIFY_BROADCAST_BATCH_SIZE,
        on_sms=on_sms,
    )


def pending_queues_of(user) -> list[tuple[str, int]]:
    """The admin index's pending queues as `user` sees them there (their own scope)."""
    request = HttpRequest()
    request.user = user
    return [(str(queue["label"]), queue["count"]) for queue in pending_queues(admin.site, request)]


@shared_task(name="notifications.tasks.staff_digest_send")
def staff_digest_send() -> int:
    """Daily at 09:00 Asia/Shanghai: each staff member's pending work, in one message."""
    return delivery.staff_digest_write(queues_for=pending_queues_of)
