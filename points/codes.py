"""The points app's printed codes: redemption vouchers ("v") and privilege passes ("p"):
their tokens and resolvers. PointsConfig.ready() registers each kind with its API body
(points.api.views) and its page (points.pages)."""

import datetime as dt
from dataclasses import dataclass
from typing import NamedTuple

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from core import codes

from .errors import PassExpired
from .models import Redemption

VOUCHER_TAG = "v"
PRIVILEGE_TAG = "p"


# --- Vouchers.


def voucher_url(redemption: Redemption) -> str:
    return codes.code_url(codes.make_token(VOUCHER_TAG, codes.b36(redemption.pk)))


def resolve_voucher(payload: str) -> Redemption:
    try:
        pk = int(payload, 36)
    except ValueError:
        raise codes.CodeInvalid() from None
    redemption = (
        Redemption.objects.select_related("reward__merchant", "resident").filter(pk=pk).first()
    )
    if redemption is None:
        raise codes.CodeInvalid()
    if redemption.status == Redemption.Status.CANCELLED:
        raise codes.CodeRevoked(_("This voucher was cancelled."))
    return redemption


# --- Privilege passes.


@dataclass(frozen=True)
class PrivilegePass:
    holder: User
    expires_at: dt.datetime


class IssuedPass(NamedTuple):
    code_url: str
    expires_at: dt.datetime


def privilege_pass_issue(*, resident) -> IssuedPass:
    """A signed pass for `resident`, valid PRIVILEGE_PASS_TTL_SECONDS: (code_url, expires_at)."""
    expires = int(timezone.now().timestamp()) + settings.PRIVILEGE_PASS_TTL_SECONDS
    payload = f"{codes.b36(resident.pk)}-{codes.b36(expires)}"
    return IssuedPass(
        code_url=codes.code_url(codes.make_token(PRIVILEGE_TAG, payload)),
        expires_at=dt.datetime.fromtimestamp(expires, tz=dt.UTC),
    )


def resolve_pass(payload: str) -> PrivilegePass:
    try:
        user_pk, expires = (int(part, 36) for part in payload.split("-"))
    except ValueError:
        raise codes.CodeInvalid() from None
    expires_at = dt.datetime.fromtimestamp(expires, tz=dt.UTC)
    if expires_at <= timezone.now():
        raise PassExpired()
    holder = User.objects.filter(pk=user_pk, is_active=True).first()
    if holder is None:
        raise codes.CodeInvalid()
    return PrivilegePass(holder=holder, expires_at=expires_at)
