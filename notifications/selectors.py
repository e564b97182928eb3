"""Reading notifications: a person's inbox, unread count, preferences."""

from dataclasses import dataclass

from django.db.models import Min, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone

from accounts.selectors import otp_sms_unknown_count

from . import kinds
from .models import Notification, Preference


def inbox(*, user) -> QuerySet:
    """The user's own notifications (the view pages them newest first)."""
    return Notification.objects.filter(user=user)


def sms_unknown_count() -> int:
    """SMS whose outcome is unknown (their sender stopped between the claim and the
    provider's answer): notifications and sign-in codes. For the metrics."""
    unknown = Notification.objects.filter(sms_status=Notification.Sms.UNKNOWN).count()
    return unknown + otp_sms_unknown_count()


def sms_oldest_pending_age() -> float:
    """Seconds the oldest notification SMS due now has waited to be sent (since it was
    made, or since its quiet hours ended); 0 when none waits. For the metrics: the SMS
    outbox is stuck (no worker, broker down, provider failing) when this grows."""
    now = timezone.now()
    oldest = Notification.objects.filter(
        Q(sms_not_before__isnull=True) | Q(sms_not_before__lte=now),
        sms_status=Notification.Sms.PENDING,
    ).aggregate(since=Min(Coalesce("sms_not_before", "created_at")))["since"]
    return max(0.0, (now - oldest).total_seconds()) if oldest else 0.0


def unread_count(*, user) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True).count()


@dataclass(frozen=True)
class KindPreference:
    kind: str
    title: str
    in_app: bool
    sms_allowed: bool
    sms: bool


def preferences(*, user) -> list[KindPreference]:
    """Every kind with the user's choice: in-app always, SMS where the kind allows it."""
    chosen = dict(Preference.objects.filter(user=user).values_list("kind", "sms"))
    return [
        KindPreference(
            kind=spec.name,
            title=str(spec.title) % kinds.Params({"title": ""}),
            in_app=True,
            sms_allowed=spec.sms,
            sms=spec.sms and chosen.get(spec.name, spec.sms_default),
        )
        for spec in kinds.KINDS.values()
    ]


# What /metrics reads from here when scraped (NotificationsConfig.ready registers them).
SMS_GAUGES = (
    (
        "duoduo_sms_unknown",
        "SMS whose outcome is unknown (their sender stopped mid-send): notifications "
        "and sign-in codes.",
        sms_unknown_count,
    ),
    (
        "duoduo_sms_outbox_oldest_pending_seconds",
        "Age of the oldest notification SMS due and not yet sent (0: none waits).",
        sms_oldest_pending_age,
    ),
)
