"""Writes of the accounts app: sign-in codes, users and roles."""

import math
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status

from core.errors import DomainError, Throttled

from .models import OtpCode, User
from .roles import STAFF_ROLES, Role, role_link
from .sms import sms_backend


class OtpInvalid(DomainError):
    status = status.HTTP_400_BAD_REQUEST
    code = "otp_invalid"
    default_detail = gettext_lazy("The code is wrong or has expired. Request a new one.")


def _otp_hash(phone: str, code: str) -> str:
    return salted_hmac("duoduo.otp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def otp_request(*, phone: str) -> OtpCode:
    """Send a 6-digit code to `phone`: at most OTP_PER_MINUTE a minute, OTP_PER_HOUR an hour."""
    now = timezone.now()
    # cache.add is atomic (Redis SET NX): two requests in the same second send one code.
    if not cache.add(f"otp:minute:{phone}", 1, timeout=60):
        last = OtpCode.objects.filter(phone=phone).order_by("-created_at").first()
        wait = 60 - (now - last.created_at).total_seconds() if last else 60
        raise Throttled(math.ceil(max(wait, 1)))
    hour_ago = now - timedelta(hours=1)
    recent = list(
        OtpCode.objects.filter(phone=phone, created_at__gt=hour_ago)
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    if len(recent) >= settings.OTP_PER_HOUR:
        oldest_counted = recent[-settings.OTP_PER_HOUR]
        raise Throttled(math.ceil((oldest_counted + timedelta(hours=1) - now).total_seconds()))

    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        OtpCode.objects.filter(phone=phone, state=OtpCode.State.ACTIVE).update(
            state=OtpCode.State.SUPERSEDED
        )
        otp = OtpCode.objects.create(
            phone=phone,
            code_hash=_otp_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        )
        message = _(
            "[Duoduo] Your sign-in code is %(code)s. It expires in %(minutes)d minutes."
        ) % {
            "code": code,
            "minutes": settings.OTP_TTL_SECONDS // 60,
        }
        transaction.on_commit(
            lambda: sms_backend().send_code(phone=phone, code=code, message=message)
        )
    return otp


def otp_verify(*, phone: str, code: str) -> User:
    """The user signing in with this code (created as a resident on first sign-in).

    A wrong code counts a try; OTP_MAX_ATTEMPTS wrong tries void the code.
    """
    now = timezone.now()
    with transaction.atomic():
        otp = (
            OtpCode.objects.select_for_update()
            .filter(phone=phone, state=OtpCode.State.ACTIVE, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otp is None:
            raise OtpInvalid()
        wrong = not constant_time_compare(otp.code_hash, _otp_hash(phone, code))
        if wrong:
            otp.attempts += 1
            if otp.attempts >= settings.OTP_MAX_ATTEMPTS:
                otp.state = OtpCode.State.VOIDED
        else:
            otp.state = OtpCode.State.USED
        otp.save(update_fields=["attempts", "state"])
    # Raised after the block commits, so the wrong try stays counted.
    if wrong:
        raise OtpInvalid()
    return user_get_or_create(phone=phone)


def user_get_or_create(*, phone: str, display_name: str = "") -> User:
    """The user with this phone; a new one is a resident named after the phone's last digits."""
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            phone=phone,
            defaults={
                "display_name": display_name or _("Resident %(tail)s") % {"tail": phone[-4:]}
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get_or_create(name=Role.RESIDENT)[0])
    return user


def user_update(*, user: User, display_name: str) -> User:
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def role_grant(*, phone: str, role: str, links: dict[str, int] | None = None) -> User:
    """Give `role` to the user with `phone` (created if new); link it to records.

    `links` maps grant_role's options ("unit", "cadre", "merchant") to ids; each is
    handled by the app that owns the record. LookupError for an unknown id or option.
    """
    if role not in Role.values:
        raise LookupError(_("Unknown role: %(role)s") % {"role": role})
    with transaction.atomic():
        user = user_get_or_create(phone=phone)
        user.groups.add(Group.objects.get_or_create(name=role)[0])
        if role in STAFF_ROLES and not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        for option, object_id in (links or {}).items():
            link = role_link(option)
            if link is None:
                raise LookupError(
                    _("Nothing can be linked with --%(option)s yet.") % {"option": option}
                )
            link(user=user, object_id=object_id, role=role)
    return user
