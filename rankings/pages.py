"""The public leaderboard (a published month's page, stored once rendered) and the
history part of a cadre's badge page."""

import dataclasses
import hashlib

from django.conf import settings
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.http import Http404
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from cadres.models import Cadre
from core.display import elder_mode
from core.integers import MAX_ID, parse_int
from core.months import parse_month

from . import charts, diffs, publication, selectors
from .models import RankingEntry

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
        versions = selectors.month_versions(month=ranking.month)
        context["version"] = versions[-1].version if versions else None
        context["versions"] = versions
        changes = diffs.stored(ranking)
        context["changes"] = change_lines([c for c in changes if c.kind == diffs.CHANGED])
        context["rank_only"] = change_lines([c for c in changes if c.kind == diffs.RANK_ONLY])
        context["excluded_by_ground"] = diffs.excluded_by_ground(changes)
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


def _change_labels() -> dict[str, str]:
    return {
        "rank": _("Rank"),
        "score": _("Score"),
        "bottom": _("bottom"),
        "reviews": _("Reviews"),
        "satisfied": _("rated 4 or 5"),
        "bad": _("bad reviews"),
        "bad_answered": _("bad reviews answered"),
        "verdicts": _("answers with a verdict"),
        "rejected": _("answers rejected"),
        "verified": _("verified reviews"),
    }


def _shown(name: str, value) -> str:
    if value is None:
        return "—"
    if name == "bottom":
        return _("yes") if value else _("no")
    return str(value)


def change_lines(changes: list[diffs.Change]) -> list[dict]:
    """A correction's changes as the page lists them: each entry with its scope and the
    values that differ, old -> new (every value when it was added or dropped)."""
    scopes = dict(RankingEntry.Scope.choices)
    labels = _change_labels()
    lines = []
    for change in changes:
        old = dataclasses.asdict(change.old) if change.old else {}
        new = dataclasses.asdict(change.new) if change.new else {}
        items = [
            (label, _shown(name, old.get(name)), _shown(name, new.get(name)))
            for name, label in labels.items()
            if old.get(name) != new.get(name)
        ]
        lines.append(
            {"change": change, "scope": scopes[RankingEntry.Scope(change.scope)], "items": items}
        )
    return lines


def _leaderboard_filter(request) -> tuple[int | None, str]:
    """(unit id, search text) of the page's query; the unit wins over a search."""
    unit_id = _unit_param(request)
    return unit_id, "" if unit_id is not None else _query_param(request)


def leaderboard_key(request, first_day) -> str:
    """The stored page's key: the month (None: the latest), the language, the display mode
    (core/display.py) and the filter.
    rankings.middleware looks it up before the URLs are resolved."""
    unit_id, query = _leaderboard_filter(request)
    variant = f"unit={unit_id}" if unit_id is not None else ""
    if query:
        variant = "q=" + hashlib.sha256(query.encode()).hexdigest()[:32]
    mode = "elder" if elder_mode(request) else "standard"
    return f"page:{first_day or 'latest'}:{get_language()}:{mode}:{variant}"


def _leaderboard(request, first_day):
    """A published month's page (the latest when `first_day` is None): its units, a
    search box, and with ?unit= that unit's cadres or with ?q= the cadres so named.

    Rendered once per month, language and filter and then served as stored bytes
    (rankings.publication), on a hit by rankings.middleware before this view: no SQL and no
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
        # Not with the request (the stored bytes are anyone's): its path for the header's
        # display switch, and the display mode the key names.
        html = render_to_string(
            "cadres/leaderboard.html",
            {
                "title": title,
                "content": mark_safe(content),  # noqa: S308
                "request": request,
                "elder_mode": elder_mode(request),
            },
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
    first_day = parse_month(month)
    if first_day is None:
        raise Http404(_("This month has not been published."))
    return _leaderboard(request, first_day)


def cadre_history_part(request, cadre: Cadre) -> str:
    """The badge page's part (cadres.hooks): the cadre's line in the last 12 published
    months, the latest in words and the scores as a chart; "" before any."""
    history = selectors.cadre_history(cadre=cadre)
    if not history:
        return ""
    chart = charts.score_chart_svg(
        [(e.ranking.label, e.score if e.reviews else None) for e in reversed(history)],
        title=_("Score in the last %(count)d published months") % {"count": len(history)},
    )
    return render_to_string(
        "rankings/cadre_history.html", {"history": history, "chart": chart}, request=request
    )
