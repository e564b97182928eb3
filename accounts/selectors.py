import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Q, Sum
from django.utils import timezone

from core.cache import UNREACHABLE, has_key_strict

from .models import Consent, OtpCode, SignedOutSession, User

logger = logging.getLogger(__name__)

# The claim naming a sign-in session: every token rotated from one sign-in carries it.
SESSION_CLAIM = "sid"

# Admin password sign-ins answered with the lock-out page, by the limit that was full.


def user_roles(*, user: User) -> list[str]:
    """The user's roles in the order of Role; everyone is a resident."""
    return user.roles


def user_has_role(*, user, role: str) -> bool:
    return bool(user and user.is_authenticated) and role in user_roles(user=user)


def signed_out_key(sid: str) -> str:
    return f"accounts:signed-out:{sid}"


def session_signed_out(*, sid: str) -> bool:
    """True if the sign-in session `sid` was signed out and its access tokens may not
    have expired yet.

    One Redis EXISTS where REDIS_URL is set (the review and the grab check it on every
    request). While Redis cannot be reached the database row answers instead (one
    indexed read): a signed-out token stays refused, never let through. Without
    REDIS_URL the database row is the only record.
    """
    if settings.REDIS_URL:
        try:
            return has_key_strict(signed_out_key(sid))
        except UNREACHABLE as error:
            logger.warning("sign-out check: Redis unreachable (%s); using the database", error)
    return SignedOutSession.objects.filter(sid=sid, expires_at__gt=timezone.now()).exists()


@dataclass(frozen=True)
class AdminLock:
    """A full limit of the admin's password sign-in (settings.py, AXES_* and ADMIN_*)."""

    limit: str  # "pair" (one phone from one address), "phone" or "address"
    failures: int
    cooloff: timedelta


ADMIN_LIMITS = ("pair", "phone", "address")


def admin_locks() -> dict[str, AdminLock]:
    return {
        "pair": AdminLock("pair", settings.AXES_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME),
        "phone": AdminLock(
            "phone", settings.ADMIN_PHONE_FAILURE_LIMIT, settings.ADMIN_PHONE_COOLOFF_TIME
        ),
        "address": AdminLock(
            "address", settings.ADMIN_ADDRESS_FAILURE_LIMIT, settings.AXES_COOLOFF_TIME
        ),
    }


def admin_lock(*, phone: str, address: str, now: datetime) -> AdminLock | None:
    """The first full limit for a password sign-in of `phone` from `address`, or None.

    The failures are django-axes' rows (one per phone, address and browser, with its
    failures in a row and the time of the last), in the database: every process sees
    them. A row counts while its last failure is within the limit's cool-off, so a lock
    ends at most a cool-off after the last failure (refused tries are not failures).
    """
    locks = admin_locks()
    pair_since = now - settings.AXES_COOLOFF_TIME
    phone_since = now - locks["phone"].cooloff
    failures = AccessAttempt.objects.filter(
        Q(username=phone) | Q(ip_address=address), attempt_time__gte=min(pair_since, phone_since)
    ).aggregate(
        pair=Sum(
            "failures_since_start",
            filter=Q(username=phone, ip_address=address, attempt_time__gte=pair_since),
        ),
        phone=Sum("failures_since_start", filter=Q(username=phone, attempt_time__gte=phone_since)),
        address=Sum(
            "failures_since_start", filter=Q(ip_address=address, attempt_time__gte=pair_since)
        ),
    )
    for limit in ADMIN_LIMITS:
        if (failures[limit] or 0) >= locks[limit].failures:
            return locks[limit]
    return None


def otp_sms_unknown_count() -> int:
    """Sign-in codes whose SMS has an unknown outcome (its sender stopped mid-way)."""
    return OtpCode.objects.filter(sms_status=OtpCode.Sms.UNKNOWN).count()


def consents_of(*, user):
    """The consents `user` gave (the history behind User.consent_version)."""
    return Consent.objects.filter(user=user)
