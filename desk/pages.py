"""The desk agent's page (/desk/): open a session for a resident, confirm it with the
code they read back or their ID card, and file their review, moral claim or stall
registration, through the same desk services as the API (docs/assisted-desk.md)."""

import datetime as dt

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.phone import normalize_phone
from accounts.roles import Role
from accounts.selectors import user_has_role
from cadres.models import Exclusion, Review
from cadres.services import MAX_COMMENT
from core import codes
from core.errors import DomainError
from core.form_nonces import submit_once
from core.forms import error_message
from core.integers import parse_int
from core.net import client_ip
from core.timezones import LOCAL_TZ
from points.models import MoralCategory
from stalls.models import GoodsCategory

from . import permissions, selectors, services
from .models import DeskSession


def _agent_or_403(request) -> None:
    if not user_has_role(user=request.user, role=Role.DESK_AGENT):
        raise PermissionDenied


def _own_session_or_403(request, pk: int) -> DeskSession:
    _agent_or_403(request)
    session = get_object_or_404(DeskSession, pk=pk)
    if not permissions.is_agent_of(user=request.user, session=session):
        raise PermissionDenied
    return session


def desk_home(request):
    """Sign-in for the agent; then the form that opens a session, and recent sessions."""
    if not request.user.is_authenticated:
        return render(request, "desk/desk.html", {"signed_in": False})
    _agent_or_403(request)
    sessions = selectors.sessions_of_agent(agent=request.user).order_by("-pk")[:10]
    return render(request, "desk/desk.html", {"signed_in": True, "sessions": sessions})


@require_POST
def session_start(request):
    _agent_or_403(request)
    return submit_once(request, lambda: _session_start(request), back=reverse("desk-page"))


def _session_start(request):
    try:
        phone = normalize_phone(request.POST.get("phone", "")[:32])
        session = services.desk_session_start(
            agent=request.user,
            phone=phone,
            centre=request.POST.get("centre", "")[:100],
            address=client_ip(request),
        )
    except ValidationError as error:
        messages.error(request, error.messages[0])
    except DomainError as error:
        messages.error(request, error_message(error))
    else:
        messages.success(request, _("A code was sent to the resident's phone."))
        return redirect("desk-page-session", pk=session.pk)
    return redirect("desk-page")


def session_page(request, pk: int):
    session = _own_session_or_403(request, pk)
    context = {
        "session": session,
        "acts": session.acts.order_by("-pk"),
        "codes": selectors.codes_sms_of(phone=session.phone),
        "ratings": Review.Rating.choices,
        "max_comment": MAX_COMMENT,
        "categories": MoralCategory.objects.filter(active=True).order_by("pk"),
        "goods": GoodsCategory.choices,
        "today": timezone.localtime(timezone.now(), LOCAL_TZ).date().isoformat(),
    }
    return render(request, "desk/session.html", context)


def _session_url(pk: int) -> str:
    return reverse("desk-page-session", kwargs={"pk": pk})


def _done(request, pk: int, message: str):
    messages.success(request, message)
    return redirect("desk-page-session", pk=pk)


@require_POST
def session_confirm(request, pk: int):
    _own_session_or_403(request, pk)
    return submit_once(request, lambda: _session_confirm(request, pk), back=_session_url(pk))


def _session_confirm(request, pk: int):
    try:
        if request.POST.get("method") == "id_check":
            services.desk_session_confirm_id(
                session_id=pk,
                id_number=request.POST.get("id_number", "")[:32],
                name=request.POST.get("name", "")[:50],
                id_consent=request.POST.get("id_consent") == "on",
            )
        else:
            services.desk_session_confirm_code(
                session_id=pk, code=request.POST.get("code", "")[:6], address=client_ip(request)
            )
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("desk-page-session", pk=pk)
    return _done(request, pk, _("Confirmed: you may now act for the resident."))


@require_POST
def session_close(request, pk: int):
    _own_session_or_403(request, pk)
    return submit_once(request, lambda: _session_close(request, pk), back=_session_url(pk))


def _session_close(request, pk: int):
    services.desk_session_close(session_id=pk)
    return _done(request, pk, _("The session is closed."))


@require_POST
def review_submit(request, pk: int):
    _own_session_or_403(request, pk)
    return submit_once(request, lambda: _review_submit(request, pk), back=_session_url(pk))


def _review_submit(request, pk: int):
    rating = parse_int(request.POST.get("rating", "")) or 0
    try:
        cadre = codes.resolve_as(request.POST.get("code", "")[:512], "cadre")
        review = services.assisted_review_create(
            session_id=pk,
            agent=request.user,
            cadre=cadre,
            rating=rating,
            tags=[],
            comment=request.POST.get("comment", "")[:2000],
            address=client_ip(request),
        )
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("desk-page-session", pk=pk)
    if review.excluded_reason == Exclusion.UNCONFIRMED:
        return _done(
            request,
            pk,
            _(
                "The review is filed. It counts once a moderator has checked it, and it earns "
                "no points: the resident's phone is not confirmed by SMS yet."
            ),
        )
    return _done(
        request,
        pk,
        _("The review is filed. The resident earned %(points)d points.")
        % {"points": review.points_awarded},
    )


@require_POST
def moral_claim_submit(request, pk: int):
    _own_session_or_403(request, pk)
    return submit_once(request, lambda: _moral_claim_submit(request, pk), back=_session_url(pk))


def _moral_claim_submit(request, pk: int):
    category = MoralCategory.objects.filter(
        code=request.POST.get("category", "")[:50], active=True
    ).first()
    description = request.POST.get("description", "").strip()[:2000]
    try:
        occurred_on = dt.date.fromisoformat(request.POST.get("occurred_on", "")[:10])
    except ValueError:
        occurred_on = None
    if category is None or not description or occurred_on is None:
        messages.error(request, _("Choose a category, describe the deed and give its date."))
        return redirect("desk-page-session", pk=pk)
    try:
        services.assisted_moral_claim_create(
            session_id=pk,
            agent=request.user,
            category=category,
            description=description,
            occurred_on=occurred_on,
        )
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("desk-page-session", pk=pk)
    return _done(request, pk, _("The moral points claim is filed."))


@require_POST
def registration_submit(request, pk: int):
    _own_session_or_403(request, pk)
    return submit_once(request, lambda: _registration_submit(request, pk), back=_session_url(pk))


def _registration_submit(request, pk: int):
    try:
        site = codes.resolve_as(request.POST.get("site_code", "")[:512], "site")
        services.assisted_registration_create(
            session_id=pk,
            agent=request.user,
            site=site,
            vendor_name=request.POST.get("vendor_name", "")[:50],
            id_number=request.POST.get("id_number", "")[:32],
            goods_category=request.POST.get("goods_category", "")[:50],
            description=request.POST.get("description", "")[:500],
            id_consent=request.POST.get("id_consent") == "on",
        )
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("desk-page-session", pk=pk)
    return _done(request, pk, _("The stall registration is filed."))
