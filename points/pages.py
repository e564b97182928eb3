"""The pages of the points app's printed codes (/q/<token>): a voucher, a privilege pass."""

from django.shortcuts import render

from core.qr import qr_svg

from . import permissions
from .api.views import pass_body
from .codes import PrivilegePass, voucher_url
from .models import Redemption


def voucher_page(request, redemption: Redemption):
    return render(
        request,
        "points/voucher.html",
        {
            "redemption": redemption,
            "qr": qr_svg(voucher_url(redemption)).decode(),
        },
    )


def pass_page(request, privilege_pass: PrivilegePass):
    is_partner = permissions.is_partner(user=request.user)
    return render(
        request,
        "points/pass.html",
        {"pass": pass_body(privilege_pass) if is_partner else None, "is_partner": is_partner},
    )
