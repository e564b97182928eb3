"""Server-rendered pages: the badge page behind /q/<token>, and the leaderboards.

Also the cadre code kind's functions for core.codes (resolve, scan body, page).
"""

import base64

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.consent import PAGE_CONSENT_MESSAGE, consent_missing, consent_prompt
from accounts.roles import Role
from core import codes, devices
from core.errors import DomainError
from core.form_nonces import submit_once
from core.forms import error_message
from core.integers import parse_int
from core.net import client_ip

from . import hooks, permissions, qr, selectors, services, throttles
from .codes import badge_token, review_target, ticket_token, ticket_url
from .models import Cadre, Review, ServiceTicket


def photo_url(cadre: Cadre, request) -> str | None:
    if not cadre.photo:
        return None
    url = cadre.photo.url
    return request.build_absolute_uri(url) if request is not None else url


def cadre_page(request, cadre: Cadre, *, ticket: ServiceTicket | None = None):
    """The badge page: the cadre's card, what the apps above add (the rankings: the last
    12 published months' scores as a chart), and the review form when signed in (sign-in
    otherwise). Through a service ticket the form carries the ticket's token, and the
    review is verified."""
    context = {
        "cadre": cadre,
        "photo_url": photo_url(cadre, request),
        "token": ticket_token(ticket) if ticket else badge_token(cadre),
        "ticket": ticket,
        # The rankings' part (the cadre's history and chart), through cadres.hooks.
        "parts": hooks.badge_page_parts(request, cadre),
        "summary": selectors.cadre_month_summary(cadre=cadre),
        "reviewed_today": selectors.has_reviewed_today(user=request.user, cadre=cadre),
        "is_self": request.user.is_authenticated and cadre.user_id == request.user.pk,
        # The review collects data: without the current consent, the accept form first.
        "consent": consent_prompt(user=request.user),
        "ratings": Review.Rating.choices,
        "tags": Review.Tag.choices,
        "max_comment": services.MAX_COMMENT,
    }
    response = render(request, "cadres/cadre_page.html", context)
    # The page's first-party device token (core.devices), for signed-in visitors only:
    # an anonymous page may be cached, and a cached Set-Cookie would be everyone's.
    if request.user.is_authenticated:
        devices.device_ensure(request, response)
    return response


def ticket_page(request, ticket: ServiceTicket):
    """/q/<ticket token>: the cadre's page whose review form uses the ticket."""
    return cadre_page(request, ticket.cadre, ticket=ticket)


@require_POST
def review_submit(request, pk: int):
    """The badge page's form: the token proves the visit, as `code` does in the API."""
    token = request.POST.get("token", "")[:200]
    try:
        cadre, ticket = review_target(codes.resolve_as(token, "cadre"))
        if cadre.pk != pk:
            raise codes.CodeInvalid()
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("leaderboard")
    if not request.user.is_authenticated:
        messages.error(request, _("Sign in to review."))
        return redirect("scan-page", token=token)
    if consent_missing(user=request.user):  # as the API's 409 consent_required: no write
        messages.error(request, str(PAGE_CONSENT_MESSAGE))
        return redirect("scan-page", token=token)
    return submit_once(
        request,
        lambda: _review_create(request, cadre, ticket, token),
        back=reverse("scan-page", kwargs={"token": token}),
    )


def _review_create(request, cadre, ticket, token):
    rating = parse_int(request.POST.get("rating", "")) or 0
    # A server-signed token only (core.devices); without one the review has no device,
    # and the answer issues one.
    device = devices.device_id(request)
    # A used or expired ticket no longer opens its page: back to the badge's.
    response = redirect("scan-page", token=badge_token(cadre) if ticket is not None else token)
    if not device:
        devices.device_issue(response)
    try:
        review = services.review_create(
            cadre=cadre,
            reviewer=request.user,
            rating=rating,
            tags=request.POST.getlist("tags")[:10],
            comment=request.POST.get("comment", "")[:2000],
            device_id=device,
            address=client_ip(request),
            ticket=ticket,
        )
    except DomainError as error:
        messages.error(request, error_message(error))
        return response
    messages.success(
        request,
        _("Thank you for your review. You earned %(points)d points.")
        % {"points": review.points_awarded},
    )
    return response


def _ticket_cadres(user) -> list[Cadre]:
    """Whom `user` may issue tickets for on the window page: their own cadre record, and
    the active cadres of the units they administer."""
    found = []
    own = selectors.cadre_of_user(user=user)
    if own is not None and own.active:
        found.append(own)
    for unit_id in sorted(selectors.unit_ids_for(user=user, role=Role.UNIT_ADMIN)):
        unit_cadres = Cadre.objects.filter(unit_id=unit_id, active=True).select_related("unit")
        found.extend(c for c in unit_cadres.order_by("name", "pk") if c not in found)
    return found


def ticket_window(request):
    """/cadre/ticket: the service window's screen. A signed-in cadre (or unit admin, for a
    cadre of its unit) issues a one-time ticket and shows its QR to the person just served;
    the same rules and limit as POST /api/v1/cadre/tickets."""
    context = {"cadres": [], "ticket": None}
    if not request.user.is_authenticated:
        return render(request, "cadres/ticket_window.html", context)
    cadres = _ticket_cadres(request.user)
    context["cadres"] = cadres
    if request.method == "POST":
        chosen = parse_int(request.POST.get("cadre", ""))
        cadre = next((c for c in cadres if c.pk == chosen), None)
        if cadre is None or not permissions.can_issue_ticket(user=request.user, cadre=cadre):
            messages.error(request, _("Pick a cadre you may issue tickets for."))
            return redirect("cadre-ticket-window")
        if throttles.ticket_refused(cadre_id=cadre.pk) is not None:
            messages.error(request, _("Too many tickets for this cadre. Try again later."))
            return redirect("cadre-ticket-window")
        try:
            ticket = services.ticket_issue(cadre=cadre, issued_by=request.user)
        except DomainError as error:
            messages.error(request, error_message(error))
            return redirect("cadre-ticket-window")
        context["ticket"] = ticket
        context["ticket_url"] = ticket_url(ticket)
        context["ticket_qr"] = base64.b64encode(qr.ticket_png(ticket, box_size=8)).decode()
    response = render(request, "cadres/ticket_window.html", context)
    patch_cache_control(response, private=True, no_store=True)
    return response
