"""The machinery under `services` and `tasks`: writing rows, the quiet hours, sending
one SMS at most once, the rows of a broadcast, the staff digest's rows.

It queues nothing itself (`tasks` does, `services` after a commit), so the three
modules import one way: services -> tasks -> delivery.
"""

import datetime as dt
import logging
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.services import SMS_COUNT
from accounts.sms import SmsMessage, SmsRejected, sms_send
from core.errors import Invalid
from core.timezones import LOCAL_TZ

from . import kinds
from .models import Broadcast, Notification, Preference

logger = logging.getLogger(__name__)

Sms = Notification.Sms


# --- Quiet hours.


def sms_allowed_at(now: dt.datetime) -> dt.datetime:
    """The first moment an SMS may go out: `now`, or 08:00 Asia/Shanghai after a night
    (NOTIFY_QUIET_START to NOTIFY_QUIET_END). Sign-in codes never wait (accounts)."""
    local = timezone.localtime(now, LOCAL_TZ)
    start, end = settings.NOTIFY_QUIET_START, settings.NOTIFY_QUIET_END
    morning = local.replace(hour=end, minute=0, second=0, microsecond=0)
    if local.hour >= start:
        return morning + dt.timedelta(days=1)
    if local.hour < end:
        return morning
    return now


# --- Rows.

# The statements' columns: every concrete field but the id, in the model's order.
_FIELDS = [field for field in Notification._meta.concrete_fields if not field.primary_key]
_USER_COLUMN = Notification._meta.get_field("user").column
_NAMES = {
    "table": connection.ops.quote_name(Notification._meta.db_table),
    "columns": ", ".join(connection.ops.quote_name(field.column) for field in _FIELDS),
    "unique": ", ".join(
        connection.ops.quote_name(column)
        for column in (_USER_COLUMN, Notification._meta.get_field("event_key").column)
    ),
    "pk": connection.ops.quote_name(Notification._meta.pk.column),
}
# One row; ON CONFLICT (user, event_key): an event already recorded is not recorded again.
_NOTIFICATION_INSERT_SQL = (  # noqa: S608 (names from _meta only)
    "INSERT INTO {table} ({columns}) VALUES ({values}) "
    "ON CONFLICT ({unique}) DO NOTHING RETURNING {pk}"
).format(values=", ".join(["%s"] * len(_FIELDS)), **_NAMES)
# The same row for many users: the shared values travel once, the users as one array.
_NOTIFICATIONS_INSERT_SAME_SQL = (  # noqa: S608 (names from _meta only)
    "INSERT INTO {table} ({columns}) SELECT {selected} FROM unnest(%s::bigint[]) AS u "
    "ON CONFLICT ({unique}) DO NOTHING RETURNING {pk}"
).format(
    selected=", ".join("u" if field.column == _USER_COLUMN else "%s" for field in _FIELDS),
    **_NAMES,
)


def notification_insert(
    *, user_id: int, kind: str, key: str | int, params: dict, link: str, now: dt.datetime
) -> tuple[int | None, bool]:
    """One INSERT ... ON CONFLICT DO NOTHING RETURNING id: (the new id or None when this
    event was already recorded for this person, whether its SMS is due now)."""
    spec = kinds.get(kind)
    row = Notification(
        user_id=user_id,
        kind=kind,
        event_key=f"{kind}:{key}",
        params=params,
        link=link,
        created_at=now,
    )
    due = False
    if spec.sms:
        row.sms_status = Sms.PENDING
        row.sms_not_before = sms_allowed_at(now)
        due = row.sms_not_before <= now
        row.sms_queued_at = now if due else None
    return _notification_row_insert(row), due


def _notification_row_insert(row: Notification) -> int | None:
    """INSERT ... ON CONFLICT (user, event_key) DO NOTHING RETURNING id: the new row's id,
    or None when this event was already recorded for this person."""
    values = [field.get_db_prep_save(field.pre_save(row, True), connection) for field in _FIELDS]
    with connection.cursor() as cursor:
        cursor.execute(_NOTIFICATION_INSERT_SQL, values)
        found = cursor.fetchone()
    return None if found is None else found[0]


def notifications_insert_same(template: Notification, user_ids: list[int]) -> list[int]:
    """The same notification (`template`, its user aside) for each of `user_ids`, as
    `_notification_row_insert` does, in one INSERT ... SELECT FROM unnest(ids),
    so the shared values travel once. The ids of the rows that were new."""
    values = [
        field.get_db_prep_save(field.pre_save(template, True), connection)
        for field in _FIELDS
        if field.column != _USER_COLUMN
    ]
    with connection.cursor() as cursor:
        cursor.execute(_NOTIFICATIONS_INSERT_SAME_SQL, [*values, list(user_ids)])
        return [found[0] for found in cursor.fetchall()]


def notifications_same_cte(*, name: str, users_sql: str, prefix: str) -> str:
    """`notifications_insert_same` as a CTE `name` of a caller's own statement (no round
    trip of its own): the same notification for each user `users_sql` selects (a SELECT
    of one bigint column, which may use the statement's other parameters), its values
    the parameters `notifications_same_params` names with `prefix`. For a module's
    statement constant (its text is fixed by these arguments)."""
    selected = [
        "u.id" if field.column == _USER_COLUMN else f"%({prefix}{number})s"
        for number, field in enumerate(_FIELDS)
    ]
    return (  # noqa: S608 (names from _meta only)
        "{name} AS (\n    INSERT INTO {table} ({columns})\n    SELECT {selected}\n"
        "    FROM ({users}) AS u (id)\n    ON CONFLICT ({unique}) DO NOTHING\n)"
    ).format(name=name, selected=", ".join(selected), users=users_sql, **_NAMES)


def notifications_same_params(*, template: Notification, prefix: str) -> dict:
    """The parameters of a `notifications_same_cte`: `template`'s values, its user
    aside. A kind with an SMS is refused: its SMS is queued with the new rows' ids, which
    the statement's caller never sees (notify() writes those)."""
    if kinds.get(template.kind).sms:
        raise ValueError(f"{template.kind}: a kind with an SMS is written by notify()")
    return {
        f"{prefix}{number}": field.get_db_prep_save(field.pre_save(template, True), connection)
        for number, field in enumerate(_FIELDS)
        if field.column != _USER_COLUMN
    }


# --- SMS.


def sms_text(notification: Notification) -> str:
    """The SMS text, in Chinese (the district's language; users keep no language yet)."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = notification.kind_spec.render(notification.params)
        return _("[Duoduo] %(title)s: %(body)s") % {"title": title, "body": body}


def sms_message(notification: Notification) -> SmsMessage:
    """The notification as an SMS: its text, and for a provider's template (one per kind
    in SMS_TEMPLATES) the variables `title` and `body`, in Chinese."""
    with translation.override(settings.LANGUAGE_CODE):
        title, body = notification.kind_spec.render(notification.params)
        title, body = str(title), str(body)
    return SmsMessage(
        phone=notification.user.phone,
        kind=notification.kind,
        text=sms_text(notification),
        variables={"title": title, "body": body},
        key=notification.event_key,
    )


def wants_sms(*, user_id: int, kind: str) -> bool:
    spec = kinds.get(kind)
    if not spec.sms:
        return False
    choice = Preference.objects.filter(user_id=user_id, kind=kind).values_list("sms", flat=True)
    return next(iter(choice), spec.sms_default)


def sms_deliver(*, notification_id: int, final: bool, now: dt.datetime | None = None) -> str:
    """Send one notification's SMS, at most once however often this runs.

    "sent"; "retry" (the provider failed: try again later); "failed" (it failed and
    `final`); "later" (quiet hours: the dispatch beat sends it at 08:00); "skipped"
    (turned off); "nothing" (not pending: sent, being sent, or no such row).
    The row is claimed (pending -> sending, `sms_claimed_at`) by one conditional UPDATE,
    committed before the provider is called: a second run of the task, or a twin, finds
    nothing to do. A worker that dies after the claim leaves it `sending`; the dispatch
    beat records it as `unknown` after NOTIFY_SMS_SENDING_TIMEOUT (`sms_sending_expire`).
    """
    now = now or timezone.now()
    row = Notification.objects.select_related("user").filter(pk=notification_id).first()
    if row is None or row.sms_status != Sms.PENDING:
        return "nothing"
    pending = Notification.objects.filter(pk=row.pk, sms_status=Sms.PENDING)
    allowed = sms_allowed_at(now)
    if allowed > now or (row.sms_not_before and row.sms_not_before > now):
        pending.update(
            sms_not_before=max(allowed, row.sms_not_before or allowed), sms_queued_at=None
        )
        return "later"
    if not row.user.is_active or not wants_sms(user_id=row.user_id, kind=row.kind):
        pending.update(sms_status=Sms.SKIPPED)
        return "skipped"
    claimed = pending.update(
        sms_status=Sms.SENDING, sms_attempts=F("sms_attempts") + 1, sms_claimed_at=timezone.now()
    )
    if not claimed:
        return "nothing"
    try:
        sent = sms_send(sms_message(row))
    except Exception as error:  # any provider failure: recorded, retried, never raised
        # Refused for good (an invalid number, an unapproved template): no retry helps.
        final = final or isinstance(error, SmsRejected)
        Notification.objects.filter(pk=row.pk).update(
            sms_status=Sms.FAILED if final else Sms.PENDING,
            sms_error=f"{type(error).__name__}: {error}"[:300],
            sms_provider=getattr(error, "provider", ""),
            sms_provider_code=getattr(error, "code", "")[:64],
        )
        outcome = "failed" if final else "retry"
        SMS_COUNT.labels(kind="notification", outcome=outcome).inc()
        logger.warning("notification %s (%s): SMS %s", row.pk, row.kind, outcome)
        return outcome
    Notification.objects.filter(pk=row.pk).update(
        sms_status=Sms.SENT,
        sms_sent_at=timezone.now(),
        sms_error="",
        sms_provider=sent.provider,
        sms_message_id=sent.message_id[:64],
        sms_provider_code="",
    )
    SMS_COUNT.labels(kind="notification", outcome="sent").inc()
    # With the request id of the request that queued the task (core/observe.py).
    logger.info("notification %s (%s): SMS sent", row.pk, row.kind)
    return "sent"


def sms_sending_expire(*, now: dt.datetime) -> int:
    """Record as `unknown` the SMS claimed more than NOTIFY_SMS_SENDING_TIMEOUT ago and
    still `sending`: their worker stopped between the claim and the provider's answer,
    so whether they went out is not known. Not sent again by themselves (that could send
    twice): staff see them in the admin and may send them again. Returns how many."""
    seconds = settings.NOTIFY_SMS_SENDING_TIMEOUT
    stale = now - dt.timedelta(seconds=seconds)
    with translation.override(settings.LANGUAGE_CODE):
        error = _("No outcome within %(seconds)d s: the worker stopped while sending.") % {
            "seconds": seconds
        }
    return Notification.objects.filter(sms_status=Sms.SENDING, sms_claimed_at__lt=stale).update(
        sms_status=Sms.UNKNOWN, sms_error=error
    )


def sms_due_ids(*, now: dt.datetime, limit: int) -> list[int]:
    """The pending SMS whose time has come (after quiet hours, or never queued) and, once
    each, those queued more than NOTIFY_SMS_REQUEUE_SECONDS ago and still pending (their
    task lost with the broker's data): marked queued now (and re-queued). Queuing one twice
    sends it once (`sms_deliver` claims the row)."""
    stale = now - dt.timedelta(seconds=settings.NOTIFY_SMS_REQUEUE_SECONDS)
    due = Notification.objects.filter(sms_status=Sms.PENDING, sms_not_before__lte=now)
    never = Q(sms_queued_at__isnull=True)
    lost = Q(sms_queued_at__lt=stale, sms_requeued_at__isnull=True)
    rows = list(
        due.filter(never | lost)
        .order_by("sms_not_before", "pk")
        .values_list("pk", "sms_queued_at")[:limit]
    )
    Notification.objects.filter(pk__in=[pk for pk, queued in rows if queued is None]).update(
        sms_queued_at=now
    )
    Notification.objects.filter(pk__in=[pk for pk, queued in rows if queued is not None]).update(
        sms_queued_at=now, sms_requeued_at=now
    )
    return [pk for pk, _queued in rows]


def sms_queueing_lost(ids: list[int]) -> None:
    """The broker refused these: the next dispatch beat queues them (as never queued)."""
    Notification.objects.filter(pk__in=ids, sms_status=Sms.PENDING).update(
        sms_queued_at=None, sms_requeued_at=None
    )


# --- Audiences of broadcasts.

# An audience name -> its users. "residents" and "subscribers:<kind>" here; other apps
# register theirs in their AppConfig.ready() (stalls: "site_vendors:<site id>").
AUDIENCES: dict[str, Callable[[str], QuerySet]] = {}
# What the admin's broadcast form offers: callables returning [(audience, label)].
AUDIENCE_CHOICES: list[Callable[[], list[tuple[str, str]]]] = []


def register_audience(
    prefix: str,
    resolve: Callable[[str], QuerySet],
    choices: Callable[[], list[tuple[str, str]]] | None = None,
) -> None:
    AUDIENCES[prefix] = resolve
    if choices is not None:
        AUDIENCE_CHOICES.append(choices)


def audience_choices() -> list[tuple[str, str]]:
    return [choice for choices in AUDIENCE_CHOICES for choice in choices()]


def audience_users(audience: str) -> QuerySet:
    prefix, _sep, argument = audience.partition(":")
    resolve = AUDIENCES.get(prefix)
    if resolve is None:
        raise Invalid(fields={"audience": [_("No such audience.")]})
    return resolve(argument).filter(is_active=True)


def residents(argument: str) -> QuerySet:
    return get_user_model().objects.all()


def subscribers(kind: str) -> QuerySet:
    """Those who turned on the SMS of `kind` (campaign announcements are opt-in)."""
    return get_user_model().objects.filter(
        notification_preferences__kind=kind, notification_preferences__sms=True
    )


register_audience("residents", residents, lambda: [("residents", _("All residents"))])
register_audience("subscribers", subscribers)


def broadcast_write(
    *, broadcast_id: int, batch_size: int, on_sms: Callable[[list[int]], None]
) -> int:
    """Write a broadcast's rows in batches: the audience's ids in order, each batch one
    INSERT ... ON CONFLICT DO NOTHING (a second run writes nothing twice). When
    the kind has an SMS due now, `on_sms` gets each batch's new ids. Returns the rows
    written."""
    broadcast = Broadcast.objects.get(pk=broadcast_id)
    spec = kinds.get(broadcast.kind)
    users = audience_users(broadcast.audience).order_by("pk").values_list("pk", flat=True)
    now = timezone.now()
    sms_at = sms_allowed_at(now) if spec.sms else None
    sms_now = sms_at is not None and sms_at <= now
    template = Notification(
        kind=broadcast.kind,
        event_key=broadcast.key,
        params=broadcast.params,
        link=broadcast.link,
        created_at=now,
        sms_status=Sms.PENDING if spec.sms else Sms.NONE,
        sms_not_before=sms_at,
        sms_queued_at=now if sms_now else None,
    )
    last, written = 0, 0
    while ids := list(users.filter(pk__gt=last)[:batch_size]):
        last = ids[-1]
        new = notifications_insert_same(template, ids)
        written += len(new)
        if sms_now and new:
            on_sms(new)
    Broadcast.objects.filter(pk=broadcast.pk).update(
        status=Broadcast.Status.DONE,
        recipients=Notification.objects.filter(event_key=broadcast.key).count(),
        finished_at=timezone.now(),
    )
    return written


# --- The staff digest.


def staff_digest_write(*, queues_for: Callable, now: dt.datetime | None = None) -> int:
    """One notification per staff member per Asia/Shanghai day with the pending counts of
    the queues they may see (`queues_for(user)` -> [(label, count)] in the active
    language); nobody with nothing pending is notified. In-app only (no SMS to queue).
    Returns how many were notified."""
    now = now or timezone.now()
    day = timezone.localtime(now, LOCAL_TZ).date().isoformat()
    notified = 0
    staff = get_user_model().objects.filter(is_active=True, is_staff=True).order_by("pk")
    for user in staff:
        summary, total = {}, 0
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                queues = [(label, count) for label, count in queues_for(user) if count]
                summary[language] = _(", ").join(f"{label} {count}" for label, count in queues)
                total = sum(count for _label, count in queues)
        if not total:
            continue
        with transaction.atomic(durable=True):
            pk, _due = notification_insert(
                user_id=user.pk,
                kind=kinds.STAFF_DIGEST.name,
                key=day,
                params={"summary": summary, "total": total},
                link="/admin/",
                now=now,
            )
        notified += pk is not None
    return notified
