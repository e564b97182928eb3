"""The device token: a client's device id, issued and signed by the server.

A client without a valid token gets one in its first answer from an operation that
issues it (the review and scan operations, the badge page): the response header
`X-Device-Id` and the first-party cookie `duoduo_device` (HttpOnly). The app sends it
back in `X-Device-Id`; a browser sends the cookie. The token is a random part and its
HMAC (SECRET_KEY, with a purpose salt), so the fraud rules (moderation/fraud.py) count a
device only if the server issued it: an id the client made up, or one whose signature
does not match, is no device at all.
"""

import base64
import secrets

from django.conf import settings
from django.utils.crypto import constant_time_compare, salted_hmac

HEADER = "X-Device-Id"
COOKIE = "duoduo_device"
COOKIE_SECONDS = 2 * 365 * 24 * 3600
SALT = "duoduo.device-token"
# 12 random bytes and 15 bytes of HMAC, base64url: 16 + 1 + 20 = 37 characters.
RANDOM_BYTES = 12
MAC_BYTES = 15


def _mac(random_part: str) -> str:
    digest = salted_hmac(SALT, random_part, algorithm="sha256").digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode()


def device_token_new() -> str:
    random_part = base64.urlsafe_b64encode(secrets.token_bytes(RANDOM_BYTES)).decode()
    return f"{random_part}.{_mac(random_part)}"


def device_token_valid(token: str) -> bool:
    """True for a token this server issued (whatever its age); False for anything else."""
    if not isinstance(token, str) or len(token) > 64:
        return False
    random_part, dot, mac = token.partition(".")
    if not dot or not random_part.isascii() or not mac.isascii():
        return False
    return constant_time_compare(mac, _mac(random_part))


def device_id(request) -> str:
    """The request's valid device token (the header first, then the cookie); "" if none."""
    for token in (request.headers.get(HEADER, ""), request.COOKIES.get(COOKIE, "")):
        token = token.strip()
        if device_token_valid(token):
            return token
    return ""


def device_issue(response) -> str:
    """A new token on `response`: its header and its cookie."""
    token = device_token_new()
    response[HEADER] = token
    response.set_cookie(
        COOKIE,
        token,
        max_age=COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
    )
    return token


def device_ensure(request, response) -> None:
    """Issue a token on `response` unless the request carries a valid one."""
    if not device_id(request):
        device_issue(response)


class IssuesDeviceToken:
    """An APIView mix-in: every answer (errors included) to a client without a valid
    device token issues one."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        device_ensure(request, response)
        return response
