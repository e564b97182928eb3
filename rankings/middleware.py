"""Published rankings answered before the URLs are resolved."""

from django.urls import get_script_prefix, reverse

from core.months import parse_month

from . import pages, publication
from .api.views import RankingMonthView

# Stands for the month in the reversed URLs, to find where it goes.
_MONTH = "YYYY-MM"


def _path_info(url: str) -> str:
    return "/" + url.removeprefix(get_script_prefix())


def _month_of(path: str, around: tuple[str, str]) -> str | None:
    """The month segment of `path` when it is `before` + month + `after`, else None."""
    before, after = around
    if not (path.startswith(before) and path.endswith(after)):
        return None
    month = path[len(before) : len(path) - len(after)]
    return month if month and "/" not in month else None


class PublishedRankingsMiddleware:
    """A stored published rendering (rankings.publication) of the leaderboard page or of
    `GET /rankings/{month}`, answered from one Redis round trip: no URL resolution, no view,
    no DRF. Everything else, and a miss, goes on unchanged, and the view does not ask
    Redis again for the key that missed.

    Listed after LocaleMiddleware (the page's key names the language, and the response
    gets its Vary and Content-Language), after the middlewares that add headers to every
    response (security, X-Frame-Options, CSP) and after CsrfViewMiddleware (it renews a
    bad CSRF cookie), before those that have nothing to do with public bytes (auth,
    messages). A page request with a session or messages cookie goes
    to the view, which shows any flash message. The page takes GET only (its view answers
    HEAD 405); the API, GET and HEAD."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.latest_page = _path_info(reverse("leaderboard"))
        self.month_page = self._around("leaderboard-month")
        self.api_month = self._around("ranking-month")

    @staticmethod
    def _around(name: str) -> tuple[str, str]:
        before, _month, after = _path_info(reverse(name, kwargs={"month": _MONTH})).partition(
            _MONTH
        )
        return before, after

    def __call__(self, request):
        key = self.key(request)
        found = publication.peek(key, request) if key is not None else None
        if found is None:
            return self.get_response(request)
        return publication.respond(request, found)

    def key(self, request) -> str | None:
        """The stored key the view would answer this request from; None: not one of ours."""
        path = request.path_info
        if path == self.latest_page:
            return self._page_key(request, None)
        if (month := _month_of(path, self.month_page)) is not None:
            first_day = parse_month(month)
            return None if first_day is None else self._page_key(request, first_day)
        month = _month_of(path, self.api_month)
        if month is None or request.method not in ("GET", "HEAD"):
            return None
        if parse_month(month) is None:
            return None
        return RankingMonthView.stored_key(request, month)

    @staticmethod
    def _page_key(request, first_day) -> str | None:
        # HEAD is the view's 405; flash messages are the view's to show.
        if request.method != "GET" or pages.may_have_messages(request):
            return None
        return pages.leaderboard_key(request, first_day)
