"""WeChat's server API for the mini program's sign-in (docs/wechat.md).

Three calls, at WECHAT_API_BASE:

- `GET /sns/jscode2session`: wx.login's code -> `openid` (and `unionid` when the mini
  program is tied to an open platform account);
- `POST /cgi-bin/stable_token`: the access token, cached (Redis: shared by every worker;
  the local-memory cache without Redis) until a minute before it expires;
- `POST /wxa/business/getuserphonenumber?access_token=...`: the phone button's code ->
  `phone_info` (`purePhoneNumber`, `countryCode`).

WeChat answers HTTP 200 with `errcode`/`errmsg`. Mapped here: an invalid or used code is
400 `wechat_code_invalid`; busy, throttled, unreachable, or any answer we cannot use is
503 `service_unavailable` with Retry-After (never a 500). An access token WeChat calls
invalid (40001, 42001, 40014) is dropped and fetched again, once per request.
"""

import json
import logging
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _
from rest_framework import status

from core.errors import DomainError, NotFound, ServiceUnavailable

logger = logging.getLogger(__name__)

# The cache key of the access token (one per app id).
TOKEN_KEY = "accounts:wechat:access-token:{app_id}"  # noqa: S105 (a cache key)
# Dropped this long before WeChat says it expires, so no call carries a dying token.
TOKEN_MARGIN_SECONDS = 60

# WeChat's errcodes (developers.weixin.qq.com, "全局返回码" and each API's own table).
CODE_INVALID = {40029, 40163}  # invalid code; code already used
TOKEN_INVALID = {40001, 42001, 40014}  # invalid credential; token expired; invalid token
BUSY = {-1, 45011}  # system busy; API minute-quota reached (throttled)


class WechatCodeInvalid(DomainError):
    status = status.HTTP_400_BAD_REQUEST
    code = "wechat_code_invalid"
    default_detail = _("The WeChat code is invalid, expired or already used. Sign in again.")


class WechatUnavailable(ServiceUnavailable):
    default_detail = _("WeChat is busy or cannot be reached. Try again shortly.")


class WechatNotConfigured(NotFound):
    """No WECHAT_APP_ID or secret: the route is not there (never a 5xx a client retries)."""

    default_detail = _("Sign-in with WeChat is not set up on this server.")


@dataclass(frozen=True)
class Session:
    openid: str
    unionid: str


def _configured() -> None:
    if not (settings.WECHAT_APP_ID and settings.WECHAT_APP_SECRET):
        raise WechatNotConfigured()


def _call(path: str, *, query: dict | None = None, body: dict | None = None) -> dict:
    """WeChat's JSON answer to GET (no body) or POST `path`; 503 if it cannot be had."""
    url = f"{settings.WECHAT_API_BASE}{path}"
    if query:
        url = f"{url}?{urllib.parse.urlencode(query)}"
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(  # noqa: S310 (WECHAT_API_BASE: http/s by settings)
        url, data=data, headers={"Content-Type": "application/json"} if data else {}
    )
    try:
        with urllib.request.urlopen(request, timeout=settings.WECHAT_TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read())
    except (OSError, ValueError) as error:  # refused, timed out, HTTP error, not JSON
        logger.warning("WeChat %s failed: %s", path, error)
        raise WechatUnavailable() from None
    if not isinstance(answer, dict):
        logger.warning("WeChat %s answered a non-object", path)
        raise WechatUnavailable()
    return answer


def _errcode(answer: dict) -> int:
    errcode = answer.get("errcode", 0)
    return errcode if isinstance(errcode, int) else -1


def _refuse(path: str, answer: dict) -> None:
    """Raise what an answer with a non-zero errcode means for the API."""
    errcode = _errcode(answer)
    if errcode in CODE_INVALID:
        raise WechatCodeInvalid()
    if errcode in BUSY:
        logger.warning("WeChat %s busy: %s %s", path, errcode, answer.get("errmsg"))
    else:  # a wrong app id or secret, a revoked permission: ours to fix, logged loudly
        logger.error("WeChat %s refused: %s %s", path, errcode, answer.get("errmsg"))
    raise WechatUnavailable()


def code_session(code: str) -> Session:
    """The openid (and unionid) of wx.login's `code`."""
    _configured()
    path = "/sns/jscode2session"
    answer = _call(
        path,
        query={
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
            "js_code": code,
            "grant_type": "authorization_code",
        },
    )
    if _errcode(answer):
        _refuse(path, answer)
    openid, unionid = answer.get("openid"), answer.get("unionid") or ""
    if not isinstance(openid, str) or not openid or not isinstance(unionid, str):
        logger.error("WeChat %s answered without an openid", path)
        raise WechatUnavailable()
    return Session(openid=openid, unionid=unionid)


def _token_key() -> str:
    return TOKEN_KEY.format(app_id=settings.WECHAT_APP_ID)


def access_token() -> str:
    """The access token: the cached one, or a new one from /cgi-bin/stable_token.

    The stable token is the same for every caller until it expires, so two workers that
    miss the cache at once get the same token (no worker invalidates another's)."""
    token = cache.get(_token_key())
    if isinstance(token, str) and token:
        return token
    path = "/cgi-bin/stable_token"
    answer = _call(
        path,
        body={
            "grant_type": "client_credential",
            "appid": settings.WECHAT_APP_ID,
            "secret": settings.WECHAT_APP_SECRET,
            "force_refresh": False,
        },
    )
    if _errcode(answer):
        _refuse(path, answer)
    token, expires_in = answer.get("access_token"), answer.get("expires_in")
    if not isinstance(token, str) or not token or not isinstance(expires_in, int):
        logger.error("WeChat %s answered without a token", path)
        raise WechatUnavailable()
    seconds = expires_in - TOKEN_MARGIN_SECONDS
    if seconds > 0:
        cache.set(_token_key(), token, seconds)
    return token


def access_token_drop(token: str) -> None:
    """Forget `token` (WeChat called it invalid), unless another worker already did."""
    if cache.get(_token_key()) == token:
        cache.delete(_token_key())


def phone_number(phone_code: str) -> str:
    """The verified phone of the phone button's `phone_code`, as +<country><number>."""
    _configured()
    path = "/wxa/business/getuserphonenumber"
    for attempt in range(2):
        token = access_token()
        answer = _call(path, query={"access_token": token}, body={"code": phone_code})
        if _errcode(answer) in TOKEN_INVALID and attempt == 0:
            logger.info("WeChat called the access token invalid: fetching a new one")
            access_token_drop(token)
            continue
        break
    if _errcode(answer):
        _refuse(path, answer)
    info = answer.get("phone_info")
    number = info.get("purePhoneNumber") if isinstance(info, dict) else None
    country = info.get("countryCode") if isinstance(info, dict) else None
    if not isinstance(number, str) or not number or not isinstance(country, str | int):
        logger.error("WeChat %s answered without a phone", path)
        raise WechatUnavailable()
    return f"+{country}{number}"
