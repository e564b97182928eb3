"""The points app's printed codes: redemption vouchers ("v") and privilege passes ("p")."""

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.roles import Role
from accounts.selectors import user_has_role
from core import codes
from core.errors import Forbidden
from core.masking import mask_phone
from core.qr import qr_svg

from .errors import PassExpired
from .models import Redemption
from .selectors import resident_summary

VOUCHER_TAG = "v"
PRIVILEGE_TAG = "p"


# --- Vouchers.


def voucher_url(redemption: Redemption) -> str:
    return codes.code_url(codes.make_token(VOUCHER_TAG, codes._b36(redemption.pk)))


def _voucher_resolve(payload: str) -> Redemption:
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


def redemption_body(redemption: Redemption) -> dict:
    reward = redemption.reward
    return {
        "id": redemption.pk,
        "status": redemption.status,
        "reward": {"id": reward.pk, "title": reward.title},
        "merchant": {"id": reward.merchant_id, "name": reward.merchant.name},
        "cost_points": redemption.cost_points,
        "holder": {"phone_masked": mask_phone(redemption.resident.phone)},
        "created_at": redemption.created_at.isoformat(),
        "used_at": redemption.used_at.isoformat() if redemption.used_at else None,
    }


def _voucher_serialize(redemption: Redemption, request) -> dict:
    from .services import user_is_merchant_of

    if not user_is_merchant_of(user=request.user, merchant_id=redemption.reward.merchant_id):
        raise Forbidden(_("Only the merchant of this reward can scan its vouchers."))
    return redemption_body(redemption)


def _voucher_page(request, redemption: Redemption):
    return render(
        request,
        "points/voucher.html",
        {
            "redemption": redemption,
            "qr": qr_svg(voucher_url(redemption)).decode(),
        },
    )


# --- Privilege passes.


@dataclass(frozen=True)
class PrivilegePass:
    holder: User
    expires_at: dt.datetime


def privilege_pass_issue(*, resident) -> tuple[str, dt.datetime]:
    """A signed pass for `resident`, valid PRIVILEGE_PASS_TTL_SECONDS: (code_url, expires_at)."""
    expires = int(timezone.now().timestamp()) + settings.PRIVILEGE_PASS_TTL_SECONDS
    payload = f"{codes._b36(resident.pk)}-{codes._b36(expires)}"
    return (
        codes.code_url(codes.make_token(PRIVILEGE_TAG, payload)),
        dt.datetime.fromtimestamp(expires, tz=dt.UTC),
    )


def _pass_resolve(payload: str) -> PrivilegePass:
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


def pass_body(privilege_pass: PrivilegePass) -> dict:
    """What a partner desk sees: the tier, its privileges, a name and a masked phone."""
    summary = resident_summary(user=privilege_pass.holder)
    tier = summary.tier
    return {
        "tier": {"code": tier["code"], "name": tier["name"]} if tier else None,
        "privileges": tier["privileges"] if tier else [],
        "holder": {
            "display_name": privilege_pass.holder.display_name,
            "phone_masked": mask_phone(privilege_pass.holder.phone),
        },
        "expires_at": timezone.localtime(privilege_pass.expires_at).isoformat(),
    }


def _pass_serialize(privilege_pass: PrivilegePass, request) -> dict:
    if not user_has_role(user=request.user, role=Role.PARTNER):
        raise Forbidden(_("Only a partner desk can check privilege passes."))
    return pass_body(privilege_pass)


def _pass_page(request, privilege_pass: PrivilegePass):
    is_partner = user_has_role(user=request.user, role=Role.PARTNER)
    return render(
        request,
        "points/pass.html",
        {"pass": pass_body(privilege_pass) if is_partner else None, "is_partner": is_partner},
    )


def register() -> None:
    codes.register(
        codes.CodeKind(
            tag=VOUCHER_TAG,
            type="voucher",
            resolve=_voucher_resolve,
            serialize=_voucher_serialize,
            render_page=_voucher_page,
            body_key="redemption",
        )
    )
    codes.register(
        codes.CodeKind(
            tag=PRIVILEGE_TAG,
            type="privilege_pass",
            resolve=_pass_resolve,
            serialize=_pass_serialize,
            render_page=_pass_page,
            body_key="pass",
        )
    )
