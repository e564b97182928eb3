"""Published rankings answered in front of Django's middleware (config/wsgi.py).

rankings.middleware.PublishedRankingsMiddleware answers a stored page or API body from
one Redis round trip, but only after the eleven middlewares before it, which cost the
hit more than the round trip does. This WSGI wrapper answers the plainest and most
common of those requests, a GET with no cookie and no conditional header (a phone
opening the leaderboard), before any of them: the same key, the same stored bytes, and
the headers the whole stack sent with those very bytes.

The headers are learned, not rewritten: the first such request for a key goes through
the whole stack (which stores the bytes if needed), and its answer's headers are kept
in this process under the key, the bytes' ETag, the language and the scheme; later ones
are answered with them and a request id of their own. New bytes (a publication, a
correction) have a new ETag, so they are learned again. Anything else goes through the
whole stack unchanged: a cookie (a session, the display mode, flash messages), a
conditional request, HEAD, a body, a host not allowed, a path or query with a refused
character, plain HTTP where HTTPS is required, or a miss.
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
from rankings.middleware import PublishedRankingsMiddleware

# Learned header lists kept per process; past this many, forgotten and learned again.
LEARNED_MAX = 4096
# Request headers whose answer may differ from the stored one's.
_PASS = ("HTTP_COOKIE", "HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_RANGE")


class StoredAnswers:
    def __init__(self, application):
        self.application = application
        self.rankings = PublishedRankingsMiddleware(get_response=None)
        self.learned: dict[tuple, list[tuple[str, str]]] = {}
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

    def __call__(self, environ, start_response):
        if (
            environ.get("REQUEST_METHOD") != "GET"
            or any(name in environ for name in _PASS)
            or environ.get("CONTENT_LENGTH") not in (None, "", "0")
        ):
            return self.application(environ, start_response)
        started = time.perf_counter()
        request = WSGIRequest(environ)
        language = translation.get_language_from_request(request)
        translation.activate(language)
        try:
            found, memo = self._stored(request, language)
        finally:
            translation.deactivate()
        if found is None:
            return self.application(environ, start_response)
        headers = self.learned.get(memo)
        if headers is None:
            return self.application(environ, self._learning(start_response, memo, found.etag))
        request_id = valid_request_id(environ.get("HTTP_X_REQUEST_ID")) or new_request_id()
        token = set_request_id(request_id)
        try:
            start_response("200 OK", [*headers, ("X-Request-Id", request_id)])
            view = memo[-1]
            request_answered(
                request, view=view, status=200, started=started, route=self.routes[view]
            )
        finally:
            reset_request_id(token)
        return [found.body]

    def _stored(self, request, language: str):
        """(the stored rendering, the key of its learned headers), or (None, None)."""
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None, None
        try:
            request.get_host()
        except DisallowedHost:
            return None, None
        if RefusedCharactersMiddleware.refused(request):
            return None, None
        key = self.rankings.key(request)
        if key is None:
            return None, None
        found = publication.peek(key)
        if found is None:
            return None, None
        if key.startswith("api:"):
            view = "ranking-month"
        elif request.path_info == self.rankings.latest_page:
            view = "leaderboard"
        else:
            view = "leaderboard-month"
        return found, (key, found.etag, language, request.is_secure(), view)

    def _learning(self, start_response, memo: tuple, etag: str):
        """start_response, keeping the whole stack's headers when it answered 200 with
        the same bytes (its ETag) and set no cookie."""

        def learn(status, headers, exc_info=None):
            kept = [(name, value) for name, value in headers if name.lower() != "x-request-id"]
            named = {name.lower(): value for name, value in kept}
            if (
                status.startswith("200 ")
                and named.get("etag") == etag
                and "set-cookie" not in named
            ):
                if len(self.learned) >= LEARNED_MAX:
                    self.learned.clear()
                self.learned[memo] = kept
            return start_response(status, headers, exc_info)

        return learn
