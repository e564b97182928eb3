"""The signed-out badge page answered before the URLs are resolved."""

from django.urls import get_script_prefix, reverse

from core import codes
from core.errors import DomainError

from . import page_cache
from .codes import TAG

# Stands for the token in the reversed URL, to find where it goes.
_PLACE = "PLACE"


class BadgePageMiddleware:
    """A signed-out scan of a badge (`GET /q/<badge token>`) whose page is stored
    (cadres.page_cache) is answered from one Redis round trip: no URL resolution, no
    authentication, no view. Everything else, and a miss, goes on unchanged (the view
    stores the page it builds, without asking Redis again for the key that missed).

    Listed where rankings.middleware.PublishedRankingsMiddleware is, for the same
    reasons: after LocaleMiddleware (the stored page's key names the language), after the
    middlewares that add the headers of every response, and after CsrfViewMiddleware (the
    page's sign-in form carries the visitor's own token, whose cookie that middleware
    sets on the way out). A request with a session or messages cookie goes to the view."""

    def __init__(self, get_response):
        self.get_response = get_response
        url = reverse("scan-page", kwargs={"token": _PLACE})
        self.prefix = "/" + url.removeprefix(get_script_prefix()).removesuffix(_PLACE)

    def __call__(self, request):
        found = self.stored(request)
        if found is None:
            return self.get_response(request)
        return page_cache.respond(request, found)

    def stored(self, request) -> page_cache.StoredPage | None:
        path = request.path_info
        if not path.startswith(self.prefix) or not page_cache.may_use(request):
            return None
        token = path[len(self.prefix) :]
        if not token.startswith(TAG + ".") or "/" in token:
            return None
        try:
            kind, payload = codes.parse_token(token)
        except DomainError:
            return None  # the view answers its error page
        if kind.tag != TAG:
            return None
        return page_cache.peek(request, payload)
