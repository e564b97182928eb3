"""rankings.middleware: a stored published rendering answered before the URLs are resolved,
with the view's bytes and headers; everything else (a miss, a page with flash messages,
HEAD on the page, a path the view would redirect, Redis down) goes to the view as before.

A response the middleware answered carries no `resolver_match` on its request: the URLs
were never resolved."""

import datetime as dt
import re

import pytest
from django.test import Client
from django.urls import resolve

from cadres import services as cadres_services
from core.timezones import LOCAL_TZ
from rankings import pages, services
from rankings.api.views import RankingMonthView
from rankings.middleware import PublishedRankingsMiddleware
from tests.redis_server import REDIS_SERVER

from .conftest import APRIL, MARCH, at, publish_month, published_urls

pytestmark = pytest.mark.django_db

MIDDLEWARE = "rankings.middleware.PublishedRankingsMiddleware"
# Headers that differ between two responses of the same bytes for reasons of their own.
# Each response's own: its date and its request id (core/observe.py).
OWN = {"Date", "X-Request-Id"}
# An error body carries its request's id: the same answer otherwise.
REQUEST_ID = re.compile(rb',\s?"request_id":\s?"[^"]*"')


def answered_early(response) -> bool:
    return getattr(response.wsgi_request, "resolver_match", None) is None


def _headers(response) -> dict:
    return {k: v for k, v in response.headers.items() if k not in OWN}


def test_a_hit_has_the_views_bytes_and_headers(published, settings, django_assert_num_queries):
    """Each page and API variant, in each language: the first request is the view's (it
    stores); the next is the middleware's, with no SQL, the same bytes and the same
    headers as the view's (ETag, Last-Modified, Cache-Control, Content-Type,
    Content-Language, Vary, the CSP, X-Frame-Options, HSTS, nosniff, Content-Length)."""
    hits = {}
    for language in ("zh-hans", "en"):
        client = Client(headers={"accept-language": language})
        # The API's bodies are the same in every language: stored once.
        urls = published_urls(published) if language == "zh-hans" else published_urls(published)[:4]
        for url in urls:
            first = client.get(url)
            assert first.status_code == 200 and not answered_early(first), url
            with django_assert_num_queries(0):
                hit = client.get(url)
            assert hit.status_code == 200 and answered_early(hit), url
            assert hit.content == first.content, url
            assert hit["Content-Language"] == language, url
            assert hit["Cache-Control"] == "public, max-age=300", url
            assert "Accept-Language" in hit["Vary"], url
            for name in ("ETag", "Last-Modified", "Content-Security-Policy", "X-Frame-Options"):
                assert hit.has_header(name), (url, name)
            # DRF adds Allow to what its view answers.
            assert _headers(hit) == {k: v for k, v in _headers(first).items() if k != "Allow"}
            hits[language, url] = hit
    # The same stored bytes through the views, the middleware taken out: the same headers.
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    for (language, url), hit in hits.items():
        through_view = Client(headers={"accept-language": language}).get(url)
        assert not answered_early(through_view), url
        assert through_view.content == hit.content, url
        view_headers = {k: v for k, v in _headers(through_view).items() if k != "Allow"}
        assert _headers(hit) == view_headers, url


def test_a_new_publication_or_a_correction_shows_at_once(
    published, api, client, make_user, django_capture_on_commit_callbacks
):
    """Stored and answered early; publishing April moves /leaderboard/ to April, and a
    correction of March (version 2) changes March's page and API bodies on the next
    request (the version they were stored under is bumped)."""
    for url in ("/leaderboard/", "/leaderboard/2026-03/", "/api/v1/rankings/2026-03"):
        client.get(url)
        assert answered_early(client.get(url)), url
    page, body = client.get("/leaderboard/2026-03/"), api.get("/api/v1/rankings/2026-03")
    assert body.json()["version"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        april = publish_month(APRIL)
    latest = client.get("/leaderboard/")
    assert not answered_early(latest) and april.digest in latest.content.decode()

    with (
        at(dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)),
        django_capture_on_commit_callbacks(execute=True),
    ):
        cadres_services.review_exclude(review_id=published["bad"].pk, reason="appeal")
        corrected = services.ranking_month_correct(month=MARCH)
    assert corrected.version == 2
    again = client.get("/leaderboard/2026-03/")
    assert not answered_early(again) and again["ETag"] != page["ETag"]
    assert corrected.digest in again.content.decode()
    data = api.get("/api/v1/rankings/2026-03")
    assert data.json()["version"] == 2 and data["ETag"] != body["ETag"]
    assert answered_early(api.get("/api/v1/rankings/2026-03"))


def test_a_page_request_with_a_session_or_messages_cookie_goes_to_the_view(
    published, client, make_user
):
    """Flash messages are the view's to show (test_publication has one): with a session
    cookie (signed in) or a messages cookie, the page is the view's; the API is still
    answered early."""
    client.get("/leaderboard/")
    assert answered_early(client.get("/leaderboard/"))
    client.force_login(make_user())
    page = client.get("/leaderboard/")
    assert page.status_code == 200 and not answered_early(page)
    client.get("/api/v1/rankings/2026-03")
    assert answered_early(client.get("/api/v1/rankings/2026-03"))

    anonymous = Client()
    anonymous.cookies["messages"] = "anything"
    page = anonymous.get("/leaderboard/")
    assert page.status_code == 200 and not answered_early(page)


def test_304_head_and_redirects_are_as_without_the_middleware(published, api, client, settings):
    """A current copy gets 304 early (If-None-Match, If-Modified-Since); HEAD on the page
    is still the view's 405 and on the API a 200 without a body; a path missing its
    slash is redirected, and one with a slash too many is 404, as without the middleware."""
    for who, url in ((client, "/leaderboard/2026-03/"), (api, "/api/v1/rankings/2026-03")):
        first = who.get(url)
        current = who.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert current.status_code == 304 and current.content == b"" and answered_early(current)
        assert current["ETag"] == first["ETag"]
        since = who.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304 and answered_early(since)
        changed = who.get(url, HTTP_IF_NONE_MATCH='"something-else"')
        assert changed.status_code == 200 and changed.content == first.content

    def answers():
        return [
            (r.status_code, r.get("Location"), REQUEST_ID.sub(b"", r.content))
            for r in (
                client.head("/leaderboard/"),
                client.head("/leaderboard/2026-03/"),
                api.head("/api/v1/rankings/2026-03"),
                client.get("/leaderboard"),
                client.get("/leaderboard/2026-03"),
                client.get("/leaderboard/2026-13/"),
                api.get("/api/v1/rankings/2026-03/"),
                api.get("/api/v1/rankings/2026-13"),
            )
        ]

    assert answered_early(api.head("/api/v1/rankings/2026-03"))
    early = answers()
    assert [status for status, _, _ in early] == [405, 405, 200, 301, 301, 404, 404, 404]
    assert early[2][2] == b""
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if m != MIDDLEWARE]
    assert answers() == early


def test_the_paths_are_the_views(published):
    """The paths the middleware answers are those the URLs resolve to the views."""
    middleware = PublishedRankingsMiddleware(lambda request: None)
    assert middleware.latest_page == "/leaderboard/"
    assert middleware.month_page == ("/leaderboard/", "/")
    assert middleware.api_month == ("/api/v1/rankings/", "")
    assert resolve("/leaderboard/").func is pages.leaderboard
    assert resolve("/leaderboard/2026-03/").func is pages.leaderboard_month
    assert resolve("/api/v1/rankings/2026-03").func.view_class is RankingMonthView


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)")
def test_with_redis_down_every_request_goes_to_the_view(doomed_redis, published, api, client):
    """Redis killed after the bodies were stored: a miss, and the views answer 200 from
    the database with the same bytes."""
    urls = [(client, "/leaderboard/2026-03/"), (api, "/api/v1/rankings/2026-03")]
    before = []
    for who, url in urls:
        who.get(url)
        hit = who.get(url)
        assert answered_early(hit), url
        before.append(hit.content)
    doomed_redis.kill()
    for (who, url), content in zip(urls, before, strict=True):
        response = who.get(url)
        assert response.status_code == 200 and not answered_early(response), url
        assert response.content == content, url


def test_a_miss_hands_the_version_it_read_to_the_view(published, client):
    """The middleware's miss is noted on the request with the version it read; the view
    builds and stores under that version without asking again, and the next request is a
    hit."""
    first = client.get("/leaderboard/2026-03/")
    key, version = first.wsgi_request.publication_missed
    assert key == pages.leaderboard_key(first.wsgi_request, MARCH) and version is not None
    assert answered_early(client.get("/leaderboard/2026-03/"))
