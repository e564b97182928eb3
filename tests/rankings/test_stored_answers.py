"""config/stored_answers.py: a published ranking's plain GET answered in front of
Django's middleware, through the WSGI application gunicorn runs (config.wsgi), with the
bytes and headers the whole stack sent; everything that may be answered differently
still goes through the whole stack.

Whether Django handled a request is told by its `request_started` signal, which the
WSGI handler sends for every request it takes and the answer in front never does."""

import datetime as dt
import io
import sys
import urllib.parse

import pytest
from django.core.cache import cache
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from cadres import services as cadres_services
from config.stored_answers import StoredAnswers
from core.metrics import live
from core.timezones import LOCAL_TZ
from rankings import services

from .conftest import APRIL, MARCH, at, publish_month, published_urls

pytestmark = pytest.mark.django_db

# Each answer's own: its date and its request id.
OWN = {"date", "x-request-id"}


class Answer:
    def __init__(self, status: str, headers: list, body: bytes, through_django: bool):
        self.status_code = int(status.split()[0])
        self.headers = headers
        self.body = body
        self.through_django = through_django

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)

    def same_headers(self) -> list:
        return sorted((k.lower(), v) for k, v in self.headers if k.lower() not in OWN)


def wsgi_get(path: str, method: str = "GET", app=None, **environ) -> Answer:
    """One request to config.wsgi.application as gunicorn would make it (imported here:
    its handler is made at import, once the test session made STATIC_ROOT)."""
    from config.wsgi import application

    app = app or application
    route, _, query = path.partition("?")
    request = {
        "REQUEST_METHOD": method,
        # As a server gives it (PEP 3333): the path's bytes, each one a character.
        "PATH_INFO": urllib.parse.unquote_to_bytes(route).decode("iso-8859-1"),
        "QUERY_STRING": query,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "REMOTE_ADDR": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
        **environ,
    }
    started = []

    def note(**kwargs):
        started.append(True)

    answered = {}

    def start_response(status, headers, exc_info=None):
        answered["status"], answered["headers"] = status, headers

    # As Django's test client does: the test's transaction keeps its connection.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    request_started.connect(note)
    try:
        chunks = app(request, start_response)
        body = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
    finally:
        request_started.disconnect(note)
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return Answer(answered["status"], answered["headers"], body, bool(started))


def requests_counted(view: str) -> float:
    labels = {"view": view, "method": "GET", "status": "200"}
    return live.get_sample_value("duoduo_http_requests_total", labels) or 0.0


def test_a_plain_get_is_answered_in_front_with_the_stacks_bytes_and_headers(published):
    """Every page and API variant in both languages: the first GET goes through Django
    (which stores the bytes, and whose headers are learned), the next is answered in
    front with the same status, bytes and headers, and a request id of its own (the
    client's when valid); it is counted under its view."""
    for language in ("zh-hans", "en"):
        for url in published_urls(published):
            whole = wsgi_get(url, HTTP_ACCEPT_LANGUAGE=language)
            assert whole.status_code == 200 and whole.through_django, url
            # Stored by the first (or earlier) and learned by the first that found it.
            learned = wsgi_get(url, HTTP_ACCEPT_LANGUAGE=language)
            if not learned.through_django:
                learned = whole
            view = "ranking-month" if url.startswith("/api/") else "leaderboard"
            view = "leaderboard-month" if url.startswith("/leaderboard/2026") else view
            counted = requests_counted(view)
            front = wsgi_get(url, HTTP_ACCEPT_LANGUAGE=language, HTTP_X_REQUEST_ID="tour-1")
            assert front.status_code == 200 and not front.through_django, url
            assert front.body == whole.body, url
            assert front.same_headers() == learned.same_headers(), url
            assert front.header("X-Request-Id") == "tour-1", url
            assert front.header("Content-Language") == language, url
            assert front.header("Content-Length") == str(len(front.body)), url
            assert requests_counted(view) == counted + 1, url
    own = {wsgi_get("/leaderboard/").header("X-Request-Id") for _ in range(3)}
    assert len(own) == 3 and None not in own


def _learned(url: str) -> None:
    wsgi_get(url)
    wsgi_get(url)
    assert not wsgi_get(url).through_django


def test_what_may_be_answered_otherwise_goes_through_django(published, settings):
    """A cookie (the display mode, a session), a conditional GET (304), HEAD, a body, a
    host not allowed (400), a refused character in the query (400), and plain HTTP where
    HTTPS is required (301): each answered by the whole stack, as without the front."""
    for url in ("/leaderboard/", "/api/v1/rankings/2026-03"):
        _learned(url)
        etag = wsgi_get(url).header("ETag")
        cookie = wsgi_get(url, HTTP_COOKIE="display=elder")
        assert cookie.status_code == 200 and cookie.through_django, url
        current = wsgi_get(url, HTTP_IF_NONE_MATCH=etag)
        assert current.status_code == 304 and current.through_django, url
        head = wsgi_get(url, method="HEAD")
        assert head.through_django, url  # the WSGI server drops its body
        body = wsgi_get(url, CONTENT_LENGTH="2", **{"wsgi.input": io.BytesIO(b"{}")})
        assert body.through_django, url
        foreign = wsgi_get(url, HTTP_HOST="evil.example")
        assert foreign.status_code == 400 and foreign.through_django, url
        refused = wsgi_get(url + "?q=%00")
        assert refused.status_code == 400 and refused.through_django, url
    assert wsgi_get("/healthz").through_django  # not a stored path: Django from the start
    # A stored path's shape with characters beyond Latin-1 (schemathesis found a 500).
    for url in ("/api/v1/rankings/%3B%F0%A7%A5%97S", "/leaderboard/%F0%A7%A5%97/"):
        odd = wsgi_get(url)
        assert odd.status_code == 404 and odd.through_django, url
    settings.SECURE_SSL_REDIRECT = True
    # The middleware read the setting when the handler was made: a handler made now.
    https_only = StoredAnswers(WSGIHandler())
    plain = wsgi_get("/leaderboard/", app=https_only)
    assert plain.status_code == 301 and plain.through_django
    secure = {"wsgi.url_scheme": "https", "SERVER_PORT": "443"}
    answers = [wsgi_get("/leaderboard/", app=https_only, **secure) for _ in range(3)]
    assert [answer.status_code for answer in answers] == [200, 200, 200]
    assert answers[0].through_django and not answers[2].through_django
    assert answers[2].same_headers() == answers[0].same_headers()


def test_new_bytes_show_at_once(published, django_capture_on_commit_callbacks):
    """Publishing April moves /leaderboard/ to April and a correction of March changes
    March's bytes on the very next request: new bytes have a new ETag, learned anew."""
    for url in ("/leaderboard/", "/leaderboard/2026-03/", "/api/v1/rankings/2026-03"):
        _learned(url)
    march_page = wsgi_get("/leaderboard/2026-03/")
    with django_capture_on_commit_callbacks(execute=True):
        april = publish_month(APRIL)
    latest = wsgi_get("/leaderboard/")
    assert latest.through_django and april.digest.encode() in latest.body
    with (
        at(dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        cadres_services.review_exclude(review_id=published["bad"].pk, reason="appeal")
        corrected = services.ranking_month_correct(month=MARCH)
    again = wsgi_get("/leaderboard/2026-03/")
    assert again.header("ETag") != march_page.header("ETag")
    assert corrected.digest.encode() in again.body
    wsgi_get("/leaderboard/2026-03/")
    front = wsgi_get("/leaderboard/2026-03/")
    assert not front.through_django and front.body == again.body


def test_with_redis_down_django_answers_from_the_database(doomed_redis, published):
    """Redis killed after the bytes were stored and learned: nothing stored can be read,
    so every GET goes through Django, which renders the same bytes from the database."""
    urls = ("/leaderboard/2026-03/", "/api/v1/rankings/2026-03")
    for url in urls:
        _learned(url)
    before = [wsgi_get(url).body for url in urls]
    doomed_redis.kill()
    for url, body in zip(urls, before, strict=True):
        down = wsgi_get(url)
        assert down.status_code == 200 and down.through_django, url
        assert down.body == body, url


def test_a_redis_that_lost_its_keys_never_brings_back_a_kept_answer(
    published, django_capture_on_commit_callbacks
):
    """Redis flushed (restarted without persistence) after March's page was kept, then
    April published: the version is numbered anew (core.cache.first_version), never as
    before, so the latest page is April's from the first request on."""
    _learned("/leaderboard/")
    assert b"2026-03" in wsgi_get("/leaderboard/").body
    cache.clear()
    with django_capture_on_commit_callbacks(execute=True):
        april = publish_month(APRIL)
    for _ in range(3):
        latest = wsgi_get("/leaderboard/")
        assert latest.status_code == 200 and april.digest.encode() in latest.body
