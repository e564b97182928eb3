import logging
import re

from django.conf import settings
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _

from . import display, views
from .errors import error_response, service_down
from .parsers import form_has_refused_text, refused_text

logger = logging.getLogger(__name__)


class ServiceUnavailableMiddleware:
    """A view outside DRF (a page, the admin) whose database or Redis is down: 503 with
    Retry-After (`views.service_unavailable`), not 500.

    This sees the view's exceptions only: Django turns an exception raised in a
    middleware (a session loaded or saved, axes, the published rankings) into a response
    at that middleware, through handler500 (`views.error_500`), which answers the same
    503. DRF's views answer theirs in `core.errors.api_exception_handler`.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not service_down(exception):
            return None
        logger.warning("%s: a backing service is unreachable: %r", request.path, exception)
        return views.service_unavailable(request)


def _too_large(request) -> HttpResponse:
    if request.path.startswith("/api/"):
        return error_response("request_too_large", _("The request body is too large."), 413)
    return HttpResponse(_("The request body is too large."), status=413)


# No path needs a control character at all (tab and line feed included), nor DEL.
_REFUSED_IN_PATH = re.compile("[\x00-\x1f\x7f]")

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


class RefusedCharactersMiddleware:
    """400 for a NUL (or another control character no text needs: core.parsers) in the
    path, the query string, a cookie or a POSTed form, before any view runs.

    A NUL reached views as a 500: `/media/<folder>/%00.jpg` (the file system refuses it),
    `/leaderboard/?q=%00` (PostgreSQL refuses it in text). The answer is Django's 400
    (core.views.error_400: `invalid` on /api/ paths, a plain page elsewhere). JSON bodies,
    and form bodies of other methods, are the API parsers' to check (core.parsers).
    Listed after LocaleMiddleware (the message follows the language) and before anything
    that reads the request for a view.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            refused = self.refused(request)
        except RequestDataTooBig:
            return _too_large(request)
        if refused:
            return views.error_400(request)
        return self.get_response(request)

    @staticmethod
    def refused(request) -> bool:
        if _REFUSED_IN_PATH.search(request.path_info) or form_has_refused_text(request.GET):
            return True
        if any(
            refused_text(name) or refused_text(value) for name, value in request.COOKIES.items()
        ):
            return True
        # A form body Django parses itself (request.POST is read for POST only); a body it
        # cannot parse raises here as it would in the view (a 400). An API multipart body
        # is left to the API's parser (core.parsers): parsing it here would consume the
        # stream, and the Idempotency-Key's fingerprint still reads the raw body.
        if request.method != "POST" or request.content_type not in _FORM_TYPES:
            return False
        if request.content_type == "multipart/form-data" and request.path.startswith("/api/"):
            return False
        return form_has_refused_text(request.POST, request.FILES)


class RequestSizeLimitMiddleware:
    """413 for a body over the limit, before anything reads it.

    DRF's parsers read the stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    does not guard JSON bodies; this does. Multipart uploads (photos) get a larger limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.headers.get("content-length") or 0)
        except ValueError:
            length = 0
        multipart = request.headers.get("content-type", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_REQUEST_SIZE if multipart else settings.MAX_REQUEST_SIZE
        if length > limit:
            return _too_large(request)
        return self.get_response(request)


class PrivateWhenPersonalMiddleware:
    """A page marked public (the leaderboard) turns private when it is personal.

    Listed before SessionMiddleware, so it sees the response after the session and the
    messages were saved. Personal means: the request has a session with data (a signed-in
    user; its flash messages), carries messages or 长辈模式 in their cookie, or the response
    sets a cookie. Anonymous requests keep the view's public caching (a page varies on
    Cookie: the display mode).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if "public" not in response.get("Cache-Control", ""):
            return response
        session = getattr(request, "session", None)
        personal = (
            (session is not None and session.accessed and not session.is_empty())
            or CookieStorage.cookie_name in request.COOKIES
            or display.COOKIE in request.COOKIES
            or bool(response.cookies)
        )
        if response.get("Content-Type", "").startswith("text/html"):
            # A page is drawn in the display mode its cookie names (core/display.py):
            # a cache keeps the standard page apart from the elder one.
            patch_vary_headers(response, ["Cookie"])
        if personal:
            patch_cache_control(response, private=True, no_cache=True, max_age=0)
            patch_vary_headers(response, ["Cookie"])
        return response


class ContentSecurityPolicyMiddleware:
    """Sends settings.CONTENT_SECURITY_POLICY on every response that has none of its own.

    Pages, the admin and /api/docs/ load scripts only from this site (the docs' start-up
    script too: SpectacularSwaggerSplitView serves it as a file), so no inline script runs.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = "; ".join(
            f"{directive} {' '.join(sources)}".strip()
            for directive, sources in settings.CONTENT_SECURITY_POLICY.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        return response
