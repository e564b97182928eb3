"""The signed-out badge page's stored bytes answered by cadres.middleware
.BadgePageMiddleware, before the URLs are resolved (no view, no SQL): each visitor's own
CSRF token, Vary: Cookie, elder mode stored apart, and everything else left to the view.
Real commits, real Redis (the test's own db when REDIS_URL is set)."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import _unmask_cipher_token
from django.test import Client
from django.test.utils import CaptureQueriesContext

from cadres.codes import badge_token

pytestmark = pytest.mark.django_db(transaction=True)

_FORM_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(autouse=True)
def empty_cache():
    cache.clear()
    yield
    cache.clear()


def scan(client, path):
    """(response, SQL statements, whether a view answered) of a GET."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    return response, len(queries.captured_queries), response.wsgi_request.resolver_match


def stored(client, path):
    """Scan until the page is stored (the first miss sets the versions, the next stores)."""
    scan(client, path)
    scan(client, path)


def test_a_stored_page_is_answered_before_the_urls_with_each_visitors_csrf_token(cadre):
    path = f"/q/{badge_token(cadre)}"
    first, second = Client(), Client()
    stored(first, path)
    answers = []
    for client in (first, second):
        response, statements, view = scan(client, path)
        assert (response.status_code, statements, view) == (200, 0, None)
        assert "Cookie" in response["Vary"] and "王丽娜" in response.content.decode()
        token = _FORM_TOKEN.search(response.content.decode()).group(1)
        secret = client.cookies["csrftoken"].value
        assert _unmask_cipher_token(token) == secret
        answers.append((token, secret))
    # Two visitors, two secrets: the stored bytes carry neither.
    assert answers[0][1] != answers[1][1]


def test_elder_mode_is_stored_apart(cadre):
    path = f"/q/{badge_token(cadre)}"
    client = Client()
    stored(client, path)
    assert scan(client, path)[1:] == (0, None)
    client.cookies["elder"] = "1"
    response, statements, view = scan(client, path)
    assert response.status_code == 200 and statements > 0 and view is not None
    scan(client, path)
    assert scan(client, path)[1:] == (0, None)
    client.cookies["elder"] = "0"
    assert scan(client, path)[1:] == (0, None)


@pytest.mark.parametrize("cookie", ["sessionid", "messages"])
def test_a_session_or_messages_cookie_goes_to_the_view(cadre, cookie):
    path = f"/q/{badge_token(cadre)}"
    client = Client()
    stored(client, path)
    client.cookies[cookie] = "x"
    response, statements, view = scan(client, path)
    assert response.status_code == 200 and view is not None


def test_a_bad_token_and_other_paths_are_the_views(cadre):
    token = badge_token(cadre)
    client = Client()
    stored(client, f"/q/{token}")
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    response, _statements, view = scan(client, f"/q/{forged}")
    assert response.status_code == 404 and view is not None
    assert "王丽娜" not in response.content.decode()
    response, _statements, view = scan(client, f"/q/{token}/")
    assert response.status_code == 404
