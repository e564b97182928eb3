"""Writing notifications: `notify` (one row, in the caller's transaction; its SMS queued
after the commit), marking read, preferences, broadcasts, sending failed SMS again.

Layer: config -> stalls -> cadres -> points -> notifications -> accounts -> core. The
apps that notify import this module; it imports none of them (another app's audience,
such as a site's vendors, is registered with `delivery.register_audience`).
"""

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core import audit
from core.errors import Invalid

from . import delivery, kinds, tasks
from .models import Broadcast, Notification, Preference

logger = logging.getLogger(__name__)


def notify(
    *,
    user_id: int | None,
    kind: str,
    key: str | int,
    params: dict | None = None,
    link: str = "",
    now: dt.datetime | None = None,
) -> int | None:
    """Record that `kind` happened to `user_id` (`key` names the event, e.g. a row's id)
    in the caller's transaction: one INSERT ... ON CONFLICT DO NOTHING, so the same
    event twice is one notification, and a rolled-back change notifies nobody. Its
    SMS, when the kind has one, is queued after the commit (at 08:00 after a night).
    Returns the new row's id, or None (no recipient, or already notified)."""
    if user_id is None:
        return None
    pk, due = delivery.notification_insert(
        user_id=user_id,
        kind=kind,
        key=key,
        params=params or {},
        link=link,
        now=now or timezone.now(),
    )
    if pk is not None and due:
        transaction.on_commit(lambda: tasks.sms_enqueue([pk]))
    return pk


def notify_params(
    *, kind: str, key: str | int, params: dict | None = None, link: str = "", now, prefix: str
) -> dict:
    """`notify` for each user a caller's statement selects, in that statement: the
    parameters of its CTE (`delivery.notifications_same_cte` with the same `prefix`,
    the caller's statement constant), written in the caller's transaction, once per
    person and event, for a kind without SMS (the payment's posting: merchants.notices)."""
    template = Notification(
        kind=kind, event_key=f"{kind}:{key}", params=params or {}, link=link, created_at=now
    )
    return delivery.notifications_same_params(template=template, prefix=prefix)


def notifications_mark_read(*, user, ids: list[int] | None = None, everything: bool = False) -> int:
    """Mark the user's own notifications read (anyone else's ids change nothing)."""
    rows = Notification.objects.filter(user=user, read_at__isnull=True)
    if not everything:
        rows = rows.filter(pk__in=ids or [])
    return rows.update(read_at=timezone.now())


def preferences_update(*, user, changes: dict[str, bool]) -> None:
    """SMS on or off per kind; on only for kinds that may go by SMS."""
    fields = {}
    for kind, sms in changes.items():
        spec = kinds.KINDS.get(kind)
        if spec is None:
            fields[kind] = [_("No such kind of notification.")]
        elif sms and not spec.sms:
            fields[kind] = [_("This kind is never sent by SMS.")]
    if fields:
        raise Invalid(fields=fields)
    with transaction.atomic():
        for kind, sms in changes.items():
            Preference.objects.update_or_create(user=user, kind=kind, defaults={"sms": sms})


def broadcast_preview(*, audience: str) -> int:
    """How many people a broadcast to `audience` reaches."""
    return delivery.audience_users(audience).count()


def broadcast_create(
    *, key: str, kind: str, audience: str, params: dict, link: str = "", created_by=None
) -> Broadcast | None:
    """Queue a broadcast; a task writes its rows in batches after the commit (no web
    request holds them). None when one with this key exists (announced once)."""
    if kind not in kinds.KINDS:
        raise Invalid(fields={"kind": [_("No such kind of notification.")]})
    delivery.audience_users(audience)  # an unknown audience is refused here
    with transaction.atomic():
        broadcast, created = Broadcast.objects.get_or_create(
            key=key,
            defaults={
                "kind": kind,
                "audience": audience,
                "params": params,
                "link": link,
                "created_by": created_by,
            },
        )
        if not created:
            return None
        audit.record(
            created_by,
            "broadcast.create",
            broadcast,
            summary={"after": {"kind": kind, "audience": audience}},
        )
        transaction.on_commit(lambda: broadcast_queue(broadcast_id=broadcast.pk))
    return broadcast


def broadcast_queue(*, broadcast_id: int) -> None:
    """Hand a broadcast to a worker (the admin's "run again" too); never raises."""
    try:
        tasks.broadcast_run.apply_async(args=[broadcast_id], retry=False)
    except Exception:  # the broker: the broadcast stays queued, visible in the admin
        logger.warning("broadcast %s not queued", broadcast_id)


def sms_retry(*, notification_ids: list[int]) -> int:
    """The admin's "send again" for failed SMS, those of unknown outcome (staff decide:
    an unknown one may have gone out already) and those the provider's receipt says
    did not reach the phone. The new attempt gets the next provider's id and receipt."""
    again = [Notification.Sms.FAILED, Notification.Sms.UNKNOWN, Notification.Sms.UNDELIVERED]
    with transaction.atomic():
        ids = list(
            Notification.objects.filter(pk__in=notification_ids, sms_status__in=again).values_list(
                "pk", flat=True
            )
        )
        Notification.objects.filter(pk__in=ids).update(
            sms_status=Notification.Sms.PENDING,
            sms_queued_at=timezone.now(),
            sms_requeued_at=None,
            sms_error="",
            sms_message_id="",
            sms_provider_code="",
            sms_receipt_at=None,
        )
        transaction.on_commit(lambda: tasks.sms_enqueue(ids))
    return len(ids)
