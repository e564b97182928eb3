"""Server-rendered pages: the badge page behind /q/<token>, and the leaderboards.

Also the cadre code kind's functions for core.codes (resolve, scan body, page).
"""

import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from core import codes
from core.errors import DomainError
from core.forms import error_message
from opendata import selectors as open_selectors

from . import publication, rankings, selectors, services
from .codes import badge_token
from .models import Cadre, RankingEntry, Review


def photo_url(cadre: Cadre, request) -> str | None:
    if not cadre.photo:
        return None
    url = cadre.photo.url
    return request.build_absolute_uri(url) if request is not None else url


def cadre_page(request, cadre: Cadre):
    """The badge page: the cadre's card; the review form when signed in, sign-in otherwise."""
    context = {
        "cadre": cadre,
        "photo_url": photo_url(cadre, request),
        "token": badge_token(cadre),
        "summary": selectors.cadre_month_summary(cadre=cadre),
        "reviewed_today": selectors.has_reviewed_today(user=request.user, cadre=cadre),
        "is_self": request.user.is_authenticated and cadre.user_id == request.user.pk,
        "ratings": Review.Rating.choices,
        "tags": Review.Tag.choices,
        "max_comment": services.MAX_COMMENT,
    }
    return render(request, "cadres/cadre_page.html", context)


@require_POST
def review_submit(request, pk: int):
    """The badge page's form: the token proves the visit, as `code` does in the API."""
    token = request.POST.get("token", "")[:200]
    try:
        cadre = codes.resolve_as(token, "cadre")
        if cadre.pk != pk:
            raise codes.CodeInvalid()
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("leaderboard")
    if not request.user.is_authenticated:
        messages.error(request, _("Sign in to review."))
        return redirect("scan-page", token=token)
    try:
        rating = int(request.POST.get("rating", ""))
    except ValueError:
        rating = 0
    try:
        review = services.review_create(
            cadre=cadre,
            reviewer=request.user,
            rating=rating,
            tags=request.POST.getlist("tags")[:10],
            comment=request.POST.get("comment", "")[:2000],
        )
    except DomainError as error:
        messages.error(request, error_message(error))
        return redirect("scan-page", token=token)
    messages.success(
        request,
        _("Thank you for your review. You earned %(points)d points.")
        % {"points": review.points_awarded},
    )
    return redirect("scan-page", token=token)


# The search box: names are short; a longer query is cut.
MAX_QUERY = 40
# A search shows at most this many cadres (the first screen stays small).
SEARCH_LIMIT = 100


def _unit_param(request) -> int | None:
    text = request.GET.get("unit", "")
    return int(text) if text.isdigit() and len(text) <= 18 else None


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


def _leaderboard(request, first_day):
    """A published month's page (the latest when `first_day` is None): its units, a
    search box, and with ?unit= that unit's cadres or with ?q= the cadres so named.

    Rendered once per month, language and filter and then served as stored bytes
    (cadres.publication): no SQL and no template a hit. A request that carries flash
    messages gets the stored content around its messages, privately."""
    unit_id = _unit_param(request)
    query = "" if unit_id is not None else _query_param(request)
    variant = f"unit={unit_id}" if unit_id is not None else ""
    if query:
        variant = "q=" + hashlib.sha256(query.encode()).hexdigest()[:32]
    key = f"page:{first_day or 'latest'}:{get_language()}:{variant}"
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
    found = publication.stored(key, page, seconds=seconds)
    if found is None:
        raise Http404(_("This month has not been published."))
    return publication.respond(request, found)


def _has_messages(request) -> bool:
    """Whether flash messages wait for this request; without a session or messages
    cookie nothing is looked at (the anonymous hit stays free of SQL)."""
    if not (
        settings.SESSION_COOKIE_NAME in request.COOKIES
        or CookieStorage.cookie_name in request.COOKIES
    ):
        return False
    return len(messages.get_messages(request)) > 0


@require_GET
def leaderboard(request):
    return _leaderboard(request, None)


@require_GET
def leaderboard_month(request, month: str):
    first_day = rankings.parse_month(month)
    if first_day is None:
        raise Http404(_("This month has not been published."))
    return _leaderboard(request, first_day)
