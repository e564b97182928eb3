"""Server-rendered pages: the badge page behind /q/<token>, and the leaderboards.

Also the cadre code kind's functions for core.codes (resolve, scan body, page).
"""

import base64
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.roles import Role
from core import codes, devices
from core.errors import DomainError
from core.form_nonces import submit_once
from core.forms import error_message
from core.integers import MAX_ID, parse_int
from core.net import client_ip
from opendata import selectors as open_selectors

from . import charts, permissions, publication, qr, rankings, selectors, services, throttles
from .codes import badge_token, review_target, ticket_token, ticket_url
from .models import Cadre, RankingEntry, Review, ServiceTicket


def photo_url(cadre: Cadre, request) -> str | None:
    if not cadre.photo:
        return None
    url = cadre.photo.url
    return request.build_absolute_uri(url) if request is not None else url


def cadre_page(request, cadre: Cadre, *, ticket: ServiceTicket | None = None):
    """The badge page: the cadre's card, the last 12 published months' scores as a chart,
    and the review form when signed in (sign-in otherwise). Through a service ticket the
    form carries the ticket's token, and the review is verified."""
    history = selectors.cadre_history(cadre=cadre)
    context = {
        "cadre": cadre,
        "photo_url": photo_url(cadre, request),
        "token": ticket_token(ticket) if ticket else badge_token(cadre),
        "ticket": ticket,
        "history": history,
        "chart": charts.score_chart_svg(
            [(e.ranking.label, e.score if e.reviews else None) for e in reversed(history)],
            title=_("Score in the last %(count)d published months") % {"count": len(history)},
        )
        if history
        else None,
        "summary": selectors.cadre_month_summary(cadre=cadre),
        "reviewed_today": selectors.has_reviewed_today(user=request.user, cadre=cadre),
        "is_self": request.user.is_authenticated and cadre.user_id == request.user.pk,
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


# The search box: names are short; a longer query is cut.
MAX_QUERY = 40
# A search shows at most this many cadres (the first screen stays small).
SEARCH_LIMIT = 100


def _unit_param(request) -> int | None:
    return parse_int(request.GET.get("unit", ""), min_value=1, max_value=MAX_ID)


def _query_param(request) -> str:
    return " ".join(request.GET.get("q", "").split())[:MAX_QUERY]


def _leaderboard_parts(request, first_day, *, unit_id, query):
    """(title, content HTML, published_at) of the page, from the database; None: 404."""
    months = list(selectors.published_months()[:24])
    if first_day is None:
        ranking = months[0] if months else None
    else:
        ranking = selectors.published_month(month=first_day)
        if ranking is None:
            return None
    context = {
        "ranking": ranking,
        "months": months,
        "page_url": request.path,
        "max_query": MAX_QUERY,
        "query": query,
        "unit_filter": None,
        "cadre_entries": [],
        "more": False,
    }
    title = _("Service rankings")
    if ranking is not None:
        title = f"{title} · {ranking.label}"
        versions = open_selectors.month_versions(ranking=ranking)
        context["version"] = versions[-1].number if versions else None
        context["versions"] = versions
        context["unit_entries"] = list(
            selectors.ranking_entries(ranking=ranking, scope=RankingEntry.Scope.UNIT)
        )
        if unit_id is not None:
            context["unit_filter"] = next(
                (e for e in context["unit_entries"] if e.unit_id == unit_id), None
            )
            if context["unit_filter"] is None:
                return None
            context["cadre_entries"] = selectors.ranking_entries(
                ranking=ranking, scope=RankingEntry.Scope.CADRE, unit_id=unit_id
            )
        elif query:
            found = selectors.ranking_search(ranking=ranking, text=query, limit=SEARCH_LIMIT + 1)
            context["cadre_entries"] = found[:SEARCH_LIMIT]
            context["more"] = len(found) > SEARCH_LIMIT
    content = render_to_string("cadres/leaderboard_content.html", context)
    return title, content, ranking.published_at if ranking else None


def _leaderboard_filter(request) -> tuple[int | None, str]:
    """(unit id, search text) of the page's query; the unit wins over a search."""
    unit_id = _unit_param(request)
    return unit_id, "" if unit_id is not None else _query_param(request)


def leaderboard_key(request, first_day) -> str:
    """The stored page's key: the month (None: the latest), the language and the filter.
    cadres.middleware looks it up before the URLs are resolved."""
    unit_id, query = _leaderboard_filter(request)
    variant = f"unit={unit_id}" if unit_id is not None else ""
    if query:
        variant = "q=" + hashlib.sha256(query.encode()).hexdigest()[:32]
    return f"page:{first_day or 'latest'}:{get_language()}:{variant}"


def _leaderboard(request, first_day):
    """A published month's page (the latest when `first_day` is None): its units, a
    search box, and with ?unit= that unit's cadres or with ?q= the cadres so named.

    Rendered once per month, language and filter and then served as stored bytes
    (cadres.publication), on a hit by cadres.middleware before this view: no SQL and no
    template. A request that carries flash messages gets the stored content around its
    messages, privately."""
    unit_id, query = _leaderboard_filter(request)
    key = leaderboard_key(request, first_day)
    seconds = publication.SEARCH_SECONDS if query else publication.STORED_SECONDS

    def parts():
        return publication.stored(
            f"{key}:parts",
            lambda: _leaderboard_parts(request, first_day, unit_id=unit_id, query=query),
            seconds=seconds,
        )

    def page():
        found = parts()
        if found is None:
            return None
        title, content, published_at = found
        html = render_to_string(
            "cadres/leaderboard.html",
            {"title": title, "content": mark_safe(content)},  # noqa: S308
        )
        return publication.rendering(
            html.encode(), content_type="text/html; charset=utf-8", last_modified=published_at
        )

    if _has_messages(request):
        found = parts()
        if found is None:
            raise Http404(_("This month has not been published."))
        title, content, _published_at = found
        response = render(
            request,
            "cadres/leaderboard.html",
            {"title": title, "content": mark_safe(content)},  # noqa: S308
        )
        patch_cache_control(response, private=True, no_cache=True, max_age=0)
        patch_vary_headers(response, ["Cookie"])
        return response
    found = publication.stored(key, page, seconds=seconds, request=request)
    if found is None:
        raise Http404(_("This month has not been published."))
    return publication.respond(request, found)


def may_have_messages(request) -> bool:
    """Whether the request carries a session or messages cookie, where flash messages
    may wait; without one nothing is looked at (the anonymous hit stays free of SQL)."""
    return (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
    )


def _has_messages(request) -> bool:
    """Whether flash messages wait for this request."""
    return may_have_messages(request) and len(messages.get_messages(request)) > 0


@require_GET
def leaderboard(request):
    return _leaderboard(request, None)


@require_GET
def leaderboard_month(request, month: str):
    first_day = rankings.parse_month(month)
    if first_day is None:
        raise Http404(_("This month has not been published."))
    return _leaderboard(request, first_day)


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
