"""Server-rendered pages: the badge page behind /q/<token>, and the leaderboards.

Also the cadre code kind's functions for core.codes (resolve, scan body, page).
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET, require_POST

from core import codes
from core.errors import DomainError
from core.forms import error_message

from . import rankings, selectors, services
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


def _leaderboard(request, ranking):
    unit_id = request.GET.get("unit", "")
    unit_id = int(unit_id) if unit_id.isdigit() and len(unit_id) <= 18 else None
    context = {
        "ranking": ranking,
        "months": selectors.published_months()[:24],
        "unit_entries": [],
        "cadre_entries": [],
        "unit_filter": None,
    }
    if ranking is not None:
        context["unit_entries"] = list(
            selectors.ranking_entries(ranking=ranking, scope=RankingEntry.Scope.UNIT)
        )
        context["cadre_entries"] = list(
            selectors.ranking_entries(
                ranking=ranking, scope=RankingEntry.Scope.CADRE, unit_id=unit_id
            )
        )
        if unit_id is not None:
            context["unit_filter"] = next(
                (e for e in context["unit_entries"] if e.unit_id == unit_id), None
            )
    return render(request, "cadres/leaderboard.html", context)


@require_GET
@cache_control(public=True, max_age=300)
def leaderboard(request):
    return _leaderboard(request, selectors.published_months().first())


@require_GET
@cache_control(public=True, max_age=300)
def leaderboard_month(request, month: str):
    first_day = rankings.parse_month(month)
    ranking = selectors.published_month(month=first_day) if first_day else None
    if ranking is None:
        raise Http404(_("This month has not been published."))
    return _leaderboard(request, ranking)
