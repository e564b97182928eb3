"""Published rankings answered in front of Django's middleware (config/wsgi.py).

rankings.middleware.PublishedRankingsMiddleware answers a stored page or API body from
one Redis round trip, but only after the eleven middlewares before it, which cost the
hit more than the round trip does. This WSGI wrapper answers the plainest and most
common of those requests, a GET with no cookie and no conditional header (a phone
opening the leaderboard), before any of them: the same key, the same stored bytes, and
the headers the whole stack sent with those very bytes.

The answer is learned, not rewritten: the first such request for a key goes through the
whole stack (which stores the bytes if needed); when it answered 200 with the stored
bytes (their ETag) and set no cookie, its headers and those bytes are kept in this
process under the key, the publication version (rankings.cache.RANKINGS), the language
and the scheme. Later requests read the current version (one small Redis GET) and are
answered with what is kept for it, with a request id of their own: a publication or a
correction bumps the version, so its bytes show at once and are learned again. Anything
else goes through the whole stack unchanged: a cookie (a session, the display mode,
flash messages), a conditional request, HEAD, a body, a host not allowed, a path or query
with a refused character, plain HTTP where HTTPS is required, Redis down, or a miss.
"""

import time

from django.conf import settings
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIRequest
from django.urls import resolve, reverse
from django.utils import translation

from core.logs import new_request_id, reset_request_id, set_request_id, valid_request_id
from core.middleware import RefusedCharactersMiddleware
from core.observe import request_answered
from rankings import publication
from rankings.cache import RANKINGS
from rankings.middleware import PublishedRankingsMiddleware

# Answers kept per process (a stored page is 5 to 50 kB); past this many, all are
# forgotten and learned again.
LEARNED_MAX = 256
# Request headers whose answer may differ from the stored one's.
_PASS = ("HTTP_COOKIE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")


class StoredAnswers:
    def __init__(self, application) -> None:
        self.application = application
        self.rankings = PublishedRankingsMiddleware(get_response=None)
        # Where the stored paths start: any other request goes straight to Django.
        self.prefixes = (
            self.rankings.latest_page,
            self.rankings.month_page[0],
            self.rankings.api_month[0],
        )
        # (key, version, language, HTTPS, view) -> (the whole stack's headers, the bytes)
        self.learned: dict[tuple, tuple[list[tuple[str, str]], bytes]] = {}
        # The URL patterns of the log line (core.observe), by view name.
        month = {"month": "2000-01"}
        self.routes = {
            name: "/" + resolve(reverse(name, kwargs=kwargs)).route
            for name, kwargs in (
                ("leaderboard", {}),
                ("leaderboard-month", month),
                ("ranking-month", month),
            )
        }

    def __call__(self, wsgi_environ, start_response):
        if (
            wsgi_environ.get("REQUEST_METHOD") != "GET"
            or not wsgi_environ.get("PATH_INFO", "").startswith(self.prefixes)
            or any(name in wsgi_environ for name in _PASS)
            or wsgi_environ.get("CONTENT_LENGTH") not in (None, "", "0")
        ):
            return self.application(wsgi_environ, start_response)
        started = time.perf_counter()
        # On a copy: WSGIRequest writes the decoded path back into the environment it is
        # given, which Django's own request, on a fall-through, would then fail to read.
        request = WSGIRequest(dict(wsgi_environ))
        language = translation.get_language_from_request(request)
        # As LocaleMiddleware: active for this thread until the next request activates its own.
        translation.activate(language)
        memo = self._memo(request, language)
        if memo is None:
            return self.application(wsgi_environ, start_response)
        answer = self.learned.get(memo)
        if answer is None:
            return self._learn(wsgi_environ, start_response, memo)
        headers, body = answer
        request_id = valid_request_id(wsgi_environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        token = set_request_id(request_id)
        try:
            start_response("200 OK", [*headers, ("X-Request-Id", request_id)])
            view = memo[-1]
            request_answered(
                request, view=view, status=200, started=started, route=self.routes[view]
            )
        finally:
            reset_request_id(token)
        return [body]

    def _memo(self, request, language: str) -> tuple | None:
        """The key of this request's kept answer, or None when the whole stack answers."""
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        try:
            request.get_host()
        except DisallowedHost:
            return None
        if RefusedCharactersMiddleware.refused(request):
            return None
        key = self.rankings.key(request)
        if key is None:
            return None
        version = RANKINGS.version()
        if version is None:  # Redis down
            return None
        if key.startswith("api:"):
            view = "ranking-month"
        elif request.path_info == self.rankings.latest_page:
            view = "leaderboard"
        else:
            view = "leaderboard-month"
        return (key, version, language, request.is_secure(), view)

    def _learn(self, wsgi_environ, start_response, memo: tuple):
        """The whole stack's answer; kept when it is 200 with the bytes stored under the
        key (their ETag) and sets no cookie. Bytes stored for a later version than the
        one read are kept under the earlier one, which is never current again."""
        found = publication.peek(memo[0])
        if found is None:
            return self.application(wsgi_environ, start_response)

        def learn(status, headers, exc_info=None):
            kept = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            named = {name.lower(): value for name, value in kept}
            if (
                status.startswith("200 ")
                and named.get("etag") == found.etag
                and "set-cookie" not in named
            ):
                if len(self.learned) >= LEARNED_MAX:
                    self.learned.clear()
                self.learned[memo] = (kept, found.body)
            return start_response(status, headers, exc_info)

        return self.application(wsgi_environ, learn)
