"""Sign-in by SMS code for phone browsers (the /q/ pages), with a Django session.

Pages include "accounts/signin_form.html", which posts here and comes back to `next`.
"""

from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.errors import DomainError
from core.forms import error_message
from core.net import client_ip

from . import services
from .consent import NOTICE_SECTIONS, consent_give, current_version
from .models import Consent
from .phone import normalize_phone


def _next_url(request) -> str:
    target = request.POST.get("next") or "/leaderboard/"
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return target
    return "/leaderboard/"


@require_POST
def signin_code(request):
    try:
        phone = normalize_phone(request.POST.get("phone", ""))
        services.otp_request(phone=phone, address=client_ip(request))
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        request.session["signin_phone"] = phone
        messages.success(request, _("A code was sent to your phone."))
    return redirect(_next_url(request))


@require_POST
def signin_verify(request):
    try:
        phone = normalize_phone(request.POST.get("phone", ""))
        user = services.otp_verify(
            phone=phone, code=request.POST.get("code", "")[:6], address=client_ip(request)
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("You are signed in."))
        if services.deletion_cancel(user=user):
            messages.success(request, _("Your account's deletion is cancelled."))
    return redirect(_next_url(request))


@require_POST
def signout(request):
    logout(request)
    return redirect(_next_url(request))


def privacy_notice(request):
    """/privacy/: the current privacy notice (docs/privacy.md)."""
    return render(
        request,
        "accounts/privacy.html",
        {"version": current_version(), "sections": NOTICE_SECTIONS},
    )


@require_POST
def consent_accept(request):
    """The accept form a page shows a signed-in person who has not accepted the current
    notice (accounts/consent_form.html): records the version, as POST /api/v1/me/consents
    does, and goes back to the page."""
    if request.user.is_authenticated:
        purpose = request.POST.get("purpose", Consent.Purpose.NOTICE)
        if purpose not in Consent.Purpose.values:
            purpose = Consent.Purpose.NOTICE
        try:
            consent_give(
                user=request.user, version=request.POST.get("version", ""), purpose=purpose
            )
        except DomainError as error:
            messages.error(request, error_message(error))
        else:
            messages.success(request, _("Thank you. You accepted the privacy notice."))
    return redirect(_next_url(request))
