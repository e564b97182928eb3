"""Writes of the accounts app: sign-in codes, users and roles."""

import logging
import math
import secrets
from datetime import timedelta
from typing import cast

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import status
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken
from rest_framework_simplejwt.tokens import RefreshToken

from core import audit, metrics, ratelimit
from core.errors import DomainError, Invalid, ServiceUnavailable, Throttled

from . import wechat
from .authentication import valid_user_id
from .consent import consent_claim_set
from .models import OtpCode, OtpGuess, SignedOutSession, User, WechatBinding
from .phone import normalize_phone
from .roles import STAFF_ROLES, Role, role_link
from .selectors import ADMIN_LIMITS, SESSION_CLAIM, signed_out_key
from .sms import SmsMessage, SmsRejected, sms_send

logger = logging.getLogger(__name__)

ADMIN_REFUSED = metrics.counter(
    "duoduo_admin_login_refused",
    "Admin password sign-ins refused by a lock-out, by the limit that was full.",
    ("limit",),
)
for _limit in ADMIN_LIMITS:
    ADMIN_REFUSED.labels(limit=_limit)  # exposed at 0 until one happens
# Every SMS at its send points (sign-in codes here, notifications in notifications/):
# kind `code` or `notification`; outcome `queued`, `sent`, `retry` (failed, tried again
# later) or `failed`.
SMS_COUNT = metrics.counter("duoduo_sms", "SMS by kind and outcome.", ("kind", "outcome"))

# A code `sending` for less than this has maybe not been locked by its sender yet (it
# locks the row just after the code commits): never judged lost before.
OTP_SMS_LOCK_GRACE = timedelta(seconds=2)


class SmsUnavailable(ServiceUnavailable):
    """No SMS provider took the code (outage, throttling): the caller may ask again."""

    default_detail = gettext_lazy("The SMS service is briefly unavailable. Try again shortly.")


class OtpInvalid(DomainError):
    status = status.HTTP_400_BAD_REQUEST
    code = "otp_invalid"
    default_detail = gettext_lazy("The code is wrong or has expired. Request a new one.")


class WechatPhoneRequired(DomainError):
    status = status.HTTP_409_CONFLICT
    code = "wechat_phone_required"
    default_detail = gettext_lazy(
        "This WeChat account is not bound to a resident yet: send the phone button's "
        "code (phone_code) with a new sign-in code."
    )


class WechatPhoneUnsupported(DomainError):
    status = status.HTTP_400_BAD_REQUEST
    code = "wechat_phone_unsupported"
    default_detail = gettext_lazy(
        "The phone number of this WeChat account cannot sign in here. Sign in by SMS."
    )


class TokenInvalid(DomainError):
    status = status.HTTP_401_UNAUTHORIZED
    code = "token_invalid"
    default_detail = gettext_lazy("The token is invalid or expired.")


def _refresh_spend(raw: str) -> tuple[RefreshToken, User]:
    """A valid, unspent refresh token and its user; the token is blacklisted in the same step.

    Two requests with the same token: the blacklist's unique row lets one through.
    """
    try:
        refresh = RefreshToken(raw)  # type: ignore[arg-type]  # simplejwt annotates the encoded token as a Token; it is the str
    except TokenError:
        raise TokenInvalid() from None
    user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM)
    user = (
        User.objects.filter(pk=user_id, is_active=True).first() if valid_user_id(user_id) else None
    )
    if user is None:
        raise TokenInvalid()
    # simplejwt annotates blacklist() as the row; it returns get_or_create's (row, created).
    _entry, created = cast("tuple[BlacklistedToken, bool]", refresh.blacklist())
    if not created:
        raise TokenInvalid()
    return refresh, user


def tokens_issue(*, user: User) -> RefreshToken:
    """A new sign-in session's refresh token. The session's id (its `sid` claim, the first
    token's own id) goes into its access tokens and every refresh token rotated from it,
    so `/auth/logout` can end them all."""
    refresh = RefreshToken.for_user(user)
    refresh[SESSION_CLAIM] = refresh[jwt_settings.JTI_CLAIM]
    consent_claim_set(refresh, user=user)
    return refresh


def tokens_refresh(*, refresh: str) -> dict:
    """A new access token and a new refresh token of the same session; the one presented
    is spent."""
    spent, user = _refresh_spend(refresh)
    new = RefreshToken.for_user(user)
    new[SESSION_CLAIM] = spent.get(SESSION_CLAIM) or new[jwt_settings.JTI_CLAIM]
    consent_claim_set(new, user=user)
    return {"access": str(new.access_token), "refresh": str(new)}


@transaction.atomic
def tokens_revoke(*, refresh: str) -> None:
    """Sign out: the refresh token can no longer be used, and the access tokens of its
    session are refused until they expire.

    The session is denied in the database and in Redis: if Redis cannot take it, nothing
    is revoked (503 `service_unavailable`, the client tries again), so Redis's quick
    "not signed out" is never wrong for a session the database has signed out.
    """
    spent, _user = _refresh_spend(refresh)
    sid = spent.get(SESSION_CLAIM)
    if not isinstance(sid, str):
        return  # issued before sessions had ids: its access tokens expire on their own
    lifetime = jwt_settings.ACCESS_TOKEN_LIFETIME
    SignedOutSession.objects.update_or_create(
        sid=sid, defaults={"expires_at": timezone.now() + lifetime}
    )
    if settings.REDIS_URL:
        # A minute more than the lifetime, for clocks that differ between workers.
        cache.add(signed_out_key(sid), 1, timeout=math.ceil(lifetime.total_seconds()) + 60)


def signed_out_sessions_flush() -> int:
    """Forget signed-out sessions whose access tokens have all expired."""
    deleted, _ = SignedOutSession.objects.filter(expires_at__lte=timezone.now()).delete()
    return deleted


def admin_signin_refused(*, limit: str) -> None:
    """Count an admin password sign-in answered with the lock-out page (metrics)."""
    ADMIN_REFUSED.labels(limit=limit).inc()


def _otp_hash(phone: str, code: str) -> str:
    return salted_hmac("duoduo.otp", f"{phone}:{code}", algorithm="sha256").hexdigest()


def _rate(text: str) -> tuple[int, int]:
    """'30/hour' -> (30, 3600), as DRF reads its throttle rates."""
    count, period = text.split("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period.strip()[0]]


def _guessed_wrong(*, phone: str, address: str, since) -> bool:
    return OtpGuess.objects.filter(phone=phone, address=address, created_at__gt=since).exists()


def _request_limits(phone: str, address: str, *, last_lost: bool):
    """The counters of docs/signin-limits.md: (per address, fast lane, slow lane). After
    a code whose SMS was lost (`_last_code_lost`) the 1-a-minute counter does not count."""
    address_count, address_period = _rate(settings.OTP_ADDRESS_RATE)
    per_address = [
        ratelimit.Limit(f"otp:pa:h:{phone}:{address}", settings.OTP_PER_HOUR, 3600),
        ratelimit.Limit(f"otp:a:{address}", address_count, address_period),
    ]
    if not last_lost:
        minute = ratelimit.Limit(f"otp:pa:m:{phone}:{address}", settings.OTP_PER_MINUTE, 60)
        per_address.insert(0, minute)
    fast = ratelimit.Limit(f"otp:p:h:{phone}", settings.OTP_PHONE_PER_HOUR, 3600)
    slow = [
        ratelimit.Limit(f"otp:p:slow:{phone}", 1, settings.OTP_SLOW_LANE_SECONDS),
        ratelimit.Limit(f"otp:p:slowday:{phone}", settings.OTP_SLOW_LANE_PER_DAY, 86400),
    ]
    return per_address, fast, slow


def _admit(*, phone: str, address: str, now, last_lost: bool) -> bool:
    """Count this request on Redis (or local memory); True if it takes the slow lane."""
    per_address, fast, slow = _request_limits(phone, address, last_lost=last_lost)
    outcome = ratelimit.hit(*per_address, fast)
    if outcome.allowed:
        return False
    if set(outcome.full) != {fast.key} or _guessed_wrong(
        phone=phone, address=address, since=now - timedelta(days=1)
    ):
        raise Throttled(outcome.retry_after)
    slow_outcome = ratelimit.hit(*per_address, *slow)
    if slow_outcome.allowed:
        return True
    raise Throttled(min(outcome.retry_after, slow_outcome.retry_after))


def _db_wait(times, limit: int, period: int, now) -> float:
    """Seconds until fewer than `limit` of `times` (newest first) are within `period`."""
    recent = [t for t in times if t > now - timedelta(seconds=period)]
    if len(recent) < limit:
        return 0
    return (recent[limit - 1] + timedelta(seconds=period) - now).total_seconds()


def _admit_from_database(*, phone: str, address: str, now, last_lost: bool) -> bool:
    """The same rules counted on OtpCode rows, while Redis is unreachable."""
    day = OtpCode.objects.filter(created_at__gt=now - timedelta(days=1)).order_by("-created_at")
    mine = list(day.filter(phone=phone, address=address).values_list("created_at", flat=True))
    from_address = list(day.filter(address=address).values_list("created_at", flat=True))
    address_count, address_period = _rate(settings.OTP_ADDRESS_RATE)
    address_wait = max(
        0 if last_lost else _db_wait(mine, settings.OTP_PER_MINUTE, 60, now),
        _db_wait(mine, settings.OTP_PER_HOUR, 3600, now),
        _db_wait(from_address, address_count, address_period, now),
    )
    if address_wait:
        raise Throttled(math.ceil(address_wait))
    phone_codes = list(day.filter(phone=phone).values_list("created_at", "slow_lane"))
    fast_wait = _db_wait(
        [t for t, slow in phone_codes if not slow], settings.OTP_PHONE_PER_HOUR, 3600, now
    )
    if not fast_wait:
        return False
    if _guessed_wrong(phone=phone, address=address, since=now - timedelta(days=1)):
        raise Throttled(math.ceil(fast_wait))
    slow_times = [t for t, slow in phone_codes if slow]
    slow_wait = max(
        _db_wait(slow_times, 1, settings.OTP_SLOW_LANE_SECONDS, now),
        _db_wait(slow_times, settings.OTP_SLOW_LANE_PER_DAY, 86400, now),
    )
    if slow_wait:
        raise Throttled(math.ceil(min(fast_wait, slow_wait)))
    return True


def otp_request(*, phone: str, address: str, purpose: str = OtpCode.Purpose.SIGN_IN) -> OtpCode:
    """Send a 6-digit code to `phone`, asked from `address`, within docs/signin-limits.md.

    Every path that sends a code (the API, the pages, a service desk) comes here: the
    limits are counted atomically on Redis, or on the database's codes when Redis is
    unreachable, whatever the purpose. A desk code (`OtpCode.Purpose.DESK`) says so in
    its message and is accepted only by `otp_verify(purpose=DESK)`, never for a sign-in.
    """
    now = timezone.now()
    last_lost = _last_code_lost(phone=phone, address=address, now=now)
    try:
        slow_lane = _admit(phone=phone, address=address, now=now, last_lost=last_lost)
    except ratelimit.RateLimitUnavailable:
        logger.warning("Sign-in code limits counted in the database: Redis unreachable")
        slow_lane = _admit_from_database(phone=phone, address=address, now=now, last_lost=last_lost)

    code = f"{secrets.randbelow(10**6):06d}"
    with transaction.atomic():
        OtpCode.objects.filter(phone=phone, purpose=purpose, state=OtpCode.State.ACTIVE).update(
            state=OtpCode.State.SUPERSEDED
        )
        otp = OtpCode.objects.create(
            phone=phone,
            code_hash=_otp_hash(phone, code),
            created_at=now,
            expires_at=now + timedelta(seconds=settings.OTP_TTL_SECONDS),
            address=address,
            slow_lane=slow_lane,
            purpose=purpose,
        )
        if purpose == OtpCode.Purpose.DESK:
            text = _(
                "[Duoduo] A service desk asks to act for you. Read this code %(code)s to the "
                "agent only if you are at the desk and agree. It expires in %(minutes)d minutes."
            )
        elif purpose == OtpCode.Purpose.EXPORT:
            text = _(
                "[Duoduo] Your code to receive a copy of your data is %(code)s. It expires "
                "in %(minutes)d minutes."
            )
        elif purpose == OtpCode.Purpose.DELETE:
            text = _(
                "[Duoduo] Your code to delete your account is %(code)s. It expires in "
                "%(minutes)d minutes. Ignore it if you did not ask."
            )
        else:
            text = _("[Duoduo] Your sign-in code is %(code)s. It expires in %(minutes)d minutes.")
        minutes = settings.OTP_TTL_SECONDS // 60
        sms = SmsMessage(
            phone=phone,
            kind=str(purpose),  # "sign_in" or "desk": the provider's template (SMS_TEMPLATES)
            text=text % {"code": code, "minutes": minutes},
            variables={"code": code, "minutes": str(minutes)},
            code=code,
        )
        transaction.on_commit(lambda: _otp_sms_send(otp_id=otp.pk, message=sms))
    return otp


def _otp_sms_send(*, otp_id: int, message: SmsMessage) -> None:
    """Send a code's SMS (after the code committed) holding its row locked: another
    request sees it locked while the provider is called. A process that stops here
    (killed, timed out) releases the lock with its connection and leaves the row
    `sending`: lost (`_last_code_lost`). The provider that took it and its message id
    are recorded (its delivery receipt finds the row by them); a provider's error is
    recorded (`failed`, with the provider's code) and raised as a 400 on the phone (the
    number refused for good) or a 503 (every provider down or throttling)."""
    error: Exception | None = None
    SMS_COUNT.labels(kind="code", outcome="queued").inc()
    with transaction.atomic():
        list(OtpCode.objects.select_for_update().filter(pk=otp_id).values_list("pk"))
        try:
            sent = sms_send(message)
        except Exception as failure:  # the provider's, whatever it is: recorded, raised
            error = failure
        sending = OtpCode.objects.filter(pk=otp_id, sms_status=OtpCode.Sms.SENDING)
        if error is None:
            sending.update(
                sms_status=OtpCode.Sms.SENT,
                sms_provider=sent.provider,
                sms_message_id=sent.message_id[:64],
            )
        else:
            sending.update(
                sms_status=OtpCode.Sms.FAILED,
                sms_provider=getattr(error, "provider", ""),
                sms_provider_code=getattr(error, "code", "")[:64],
            )
    SMS_COUNT.labels(kind="code", outcome="failed" if error else "sent").inc()
    if isinstance(error, SmsRejected):  # an invalid or blacklisted number, say
        raise Invalid(fields={"phone": [_("The SMS provider refused this number.")]}) from error
    if error is not None:
        raise SmsUnavailable() from error


def _last_code_lost(*, phone: str, address: str, now) -> bool:
    """Whether the last code asked for `phone` from `address` surely did not reach the
    phone: its SMS failed, is of unknown outcome or its provider's receipt says it was
    not delivered, or it is `sending` while nobody
    sends it (its row is not locked: the process stopped mid-way), which is recorded
    as `unknown` here. The resident may then ask again at once."""
    last = (
        OtpCode.objects.filter(phone=phone, address=address)
        .order_by("-created_at")
        .values_list("pk", "sms_status", "created_at")
        .first()
    )
    if last is None:
        return False
    pk, sms_status, created_at = last
    if sms_status in (OtpCode.Sms.FAILED, OtpCode.Sms.UNKNOWN, OtpCode.Sms.UNDELIVERED):
        return True
    if sms_status != OtpCode.Sms.SENDING or created_at > now - OTP_SMS_LOCK_GRACE:
        return False
    with transaction.atomic():
        unsent = OtpCode.objects.select_for_update(skip_locked=True).filter(
            pk=pk, sms_status=OtpCode.Sms.SENDING
        )
        lost = bool(list(unsent.values_list("pk")))
        if lost:
            OtpCode.objects.filter(pk=pk).update(sms_status=OtpCode.Sms.UNKNOWN)
    return lost


def otp_sms_expire(*, now) -> int:
    """Record as `unknown` the codes whose SMS is `sending` for longer than
    NOTIFY_SMS_SENDING_TIMEOUT with nobody sending it (the row is not locked); the
    dispatch beat runs it. Returns how many."""
    stale = now - timedelta(seconds=settings.NOTIFY_SMS_SENDING_TIMEOUT)
    with transaction.atomic(durable=True):
        lost = list(
            OtpCode.objects.select_for_update(skip_locked=True)
            .filter(sms_status=OtpCode.Sms.SENDING, created_at__lt=stale)
            .values_list("pk", flat=True)
        )
        return OtpCode.objects.filter(pk__in=lost).update(sms_status=OtpCode.Sms.UNKNOWN)


def _guess_wait(guesses, limit: int, now) -> int:
    """Seconds until the oldest of the last `limit` wrong codes leaves the hour."""
    times = sorted(guesses, reverse=True)
    return math.ceil((times[limit - 1] + timedelta(hours=1) - now).total_seconds())


def otp_verify(
    *, phone: str, code: str, address: str, purpose: str = OtpCode.Purpose.SIGN_IN
) -> User:
    """The user signing in with this code (created as a resident on first sign-in).

    Only a code sent for `purpose` is accepted: a desk code never signs anyone in.

    A wrong code is recorded against the address that tried it: OTP_MAX_ATTEMPTS void
    the code for that address only, so nobody else's guesses spoil the owner's code.
    Past the hourly caps on wrong codes (per phone, per address) the try is refused.
    """
    now = timezone.now()
    hour_ago = now - timedelta(hours=1)
    with transaction.atomic():
        otp = (
            OtpCode.objects.select_for_update()
            .filter(phone=phone, purpose=purpose, state=OtpCode.State.ACTIVE, expires_at__gt=now)
            .order_by("-created_at")
            .first()
        )
        if otp is None:
            raise OtpInvalid()
        from_address = list(
            OtpGuess.objects.filter(address=address, created_at__gt=hour_ago).values_list(
                "created_at", flat=True
            )
        )
        if len(from_address) >= settings.OTP_ADDRESS_WRONG_PER_HOUR:
            raise Throttled(_guess_wait(from_address, settings.OTP_ADDRESS_WRONG_PER_HOUR, now))
        on_phone = list(
            OtpGuess.objects.filter(phone=phone, created_at__gt=hour_ago).values_list(
                "created_at", "address"
            )
        )
        if len(on_phone) >= settings.OTP_PHONE_WRONG_PER_HOUR and any(
            guess_address == address for _at, guess_address in on_phone
        ):
            raise Throttled(
                _guess_wait([at for at, _a in on_phone], settings.OTP_PHONE_WRONG_PER_HOUR, now)
            )
        if otp.guesses.filter(address=address).count() >= settings.OTP_MAX_ATTEMPTS:
            raise OtpInvalid()
        wrong = not constant_time_compare(otp.code_hash, _otp_hash(phone, code))
        if wrong:
            OtpGuess.objects.create(otp=otp, phone=phone, address=address, created_at=now)
            otp.attempts += 1
            otp.save(update_fields=["attempts"])
        else:
            otp.state = OtpCode.State.USED
            otp.save(update_fields=["state"])
    # Raised after the block commits, so the wrong try stays counted.
    if wrong:
        raise OtpInvalid()
    user = user_get_or_create(phone=phone)
    if user.phone_verified_at is None:
        # The code reached the phone: an account a desk made from an ID check alone is
        # now confirmed (once; a later sign-in leaves the first time).
        user_phone_verify(user=user, now=now)
    return user


def user_phone_verify(*, user: User, now) -> None:
    """Record that an SMS code reached the user's phone, the first time only."""
    if User.objects.filter(pk=user.pk, phone_verified_at__isnull=True).update(
        phone_verified_at=now
    ):
        user.phone_verified_at = now


def user_get_or_create(*, phone: str, display_name: str = "", phone_verified: bool = True) -> User:
    """The user with this phone; a new one is a resident named after the phone's last digits
    (居民1234: in the district's language, LANGUAGE_CODE, whatever the request's; a name is
    data, not a page).

    A new account's phone counts as confirmed (an SMS sign-in, an administrator's grant,
    a seed) unless `phone_verified` is False: a service desk's ID check alone, which
    proves a person, not the phone (docs/assisted-desk.md).
    """
    user = User.objects.filter(phone=phone).first()
    if user is not None:
        return user
    if not display_name:
        with translation.override(settings.LANGUAGE_CODE):
            display_name = _("Resident %(tail)s") % {"tail": phone[-4:]}
    with transaction.atomic():
        user, created = User.objects.get_or_create(
            phone=phone,
            defaults={
                "display_name": display_name,
                "phone_verified_at": timezone.now() if phone_verified else None,
            },
        )
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
            user.groups.add(Group.objects.get_or_create(name=Role.RESIDENT)[0])
    return user


def deletion_cancel(*, user: User) -> bool:
    """Signing in cancels a pending deletion (docs/privacy.md): True if one was."""
    if user.deletion_due_at is None:
        return False
    with transaction.atomic():
        User.objects.filter(pk=user.pk).update(deletion_due_at=None)
        audit.record(user, "account.deletion_cancel", user, subject=user)
    user.deletion_due_at = None
    return True


def user_update(*, user: User, display_name: str) -> User:
    user.display_name = display_name
    user.save(update_fields=["display_name"])
    return user


def user_audited(*, actor, user_id, action: str, fields: list[str] | None = None) -> None:
    """A staff member saw (user.view) or changed (user.change: which fields, groups
    included) a person's account in the admin: the audit trail says who."""
    user = User.objects.filter(pk=user_id).only("pk").first() if str(user_id).isdigit() else None
    if user is None:
        return
    audit.record(
        actor,
        action,
        user,
        subject=user,
        summary={"after": {"fields": fields}} if fields is not None else {},
        purpose="administration",
    )


def role_grant(
    *, phone: str, role: str, links: dict[str, int] | None = None, granted_by=None
) -> User:
    """Give `role` to the user with `phone` (created if new); link it to records.

    `links` maps grant_role's options ("unit", "cadre", "merchant") to ids; each is
    handled by the app that owns the record. LookupError for an unknown id or option.
    `granted_by`: who gave it (None: the command line, the demo), for the audit trail.
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
        audit.record(
            granted_by,
            "role.grant",
            user,
            subject=user,
            summary={"after": {"role": role, "links": links or {}}},
        )
    return user


def wechat_sign_in(*, code: str, phone_code: str | None = None) -> User:
    """The user signing in from the mini program with wx.login's `code` (docs/wechat.md).

    An openid already bound signs its user in. Otherwise `phone_code` (the phone-number
    button's) is required: the phone WeChat verified signs in (or creates) the resident
    with that phone, and the openid is bound to them, so the next sign-in needs only
    `code`. WeChat's errors: accounts.wechat.
    """
    session = wechat.code_session(code)
    binding = WechatBinding.objects.select_related("user").filter(openid=session.openid).first()
    if binding is not None:
        if session.unionid and binding.unionid != session.unionid:
            WechatBinding.objects.filter(pk=binding.pk).update(unionid=session.unionid)
        return binding.user
    if not phone_code:
        raise WechatPhoneRequired()
    try:
        phone = normalize_phone(wechat.phone_number(phone_code))
    except DjangoValidationError:
        raise WechatPhoneUnsupported() from None
    user = user_get_or_create(phone=phone)
    if user.phone_verified_at is None:
        # WeChat verified the phone by its own SMS: as good as ours for a desk account.
        user_phone_verify(user=user, now=timezone.now())
    # Two sign-ins of the same new openid at once: the unique openid keeps one row.
    WechatBinding.objects.update_or_create(
        openid=session.openid, defaults={"user": user, "unionid": session.unionid}
    )
    return user


def wechat_unbind(*, user: User) -> int:
    """Unbind every WeChat account of `user` (their next mini-program sign-in asks for the
    phone again; SMS sign-in is unchanged). Returns how many were bound."""
    deleted, _ = WechatBinding.objects.filter(user=user).delete()
    return deleted
