"""Every page, the admin and the API docs send a strict Content-Security-Policy."""

from html.parser import HTMLParser

import pytest
from django.test import Client

from tests.site_tour import admin_stops, demo_district, page_stops

pytestmark = pytest.mark.django_db


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


@pytest.mark.parametrize("url", ["/leaderboard/", "/admin/login/", "/api/docs/"])
def test_it_sends_a_strict_content_security_policy(client, url):
    """Scripts only from this site, none inline; no plugins, no framing, no <base>."""
    response = client.get(url)
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["default-src"] == ["'self'"]
    assert policy["script-src"] == ["'self'"]
    assert policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]


def test_the_api_docs_page_runs_no_inline_script(client):
    """Swagger UI's start-up script is a file of this site, which script-src 'self' allows."""
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page
    assert '<script src="/api/docs/?script"' in page or "?script" in page


class _InlineStyles(HTMLParser):
    """The style attributes and the <style> elements without a nonce of one HTML page."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        names = {name for name, _value in attrs}
        if "style" in names:
            self.found.append(f"<{tag} style=...>")
        if tag == "style" and "nonce" not in names:
            self.found.append("<style>")


def inline_styles(html: str) -> list[str]:
    parser = _InlineStyles()
    parser.feed(html)
    return parser.found


def test_it_finds_inline_styles_where_there_are_some():
    """The check below sees style attributes (SVG's too) and <style> blocks."""
    html = '<p style="x">a</p><svg><path style="fill:red"/></svg><style>p{}</style>'
    assert inline_styles(html) == ["<p style=...>", "<path style=...>", "<style>"]
    assert inline_styles('<style nonce="abc">p{}</style><p class="a">style="</p>') == []


@pytest.fixture
def district(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return demo_district()


def test_no_page_nor_the_admin_has_an_inline_style_or_allows_one(district):
    """Every page, public and signed in, the API docs, the admin's index and each model's
    list, add (or where it leads) and change forms: style-src is 'self' only, and the HTML has no style
    attribute and no <style> block (no nonce is given, so none could apply)."""
    stops = page_stops(district) + admin_stops(district)
    assert len(stops) > 60
    for stop in stops:
        client = Client()
        if stop.user is not None:
            client.force_login(stop.user)
        response = client.get(stop.path, follow=True)
        assert response.status_code == 200, stop
        assert _policy(response)["style-src"] == ["'self'"], stop
        assert response["Content-Type"].startswith("text/html"), stop
        assert inline_styles(response.content.decode()) == [], stop


def test_the_csrf_failure_page_has_no_inline_style(client):
    """Django's own CSRF failure page has a <style> block; ours is the site's page."""
    client = Client(enforce_csrf_checks=True)
    response = client.post("/signin/code", {"phone": "13900000000"})
    assert response.status_code == 403
    assert response.templates[0].name == "403_csrf.html"
    assert inline_styles(response.content.decode()) == []
    assert _policy(response)["style-src"] == ["'self'"]


# Headers that describe one response's body or caching (or name the request), not the
# site's security.
CONTENT_HEADERS = {
    "X-Request-Id",
    "Content-Type",
    "Content-Length",
    "Content-Language",
    "Cache-Control",
    "Expires",
    "ETag",
    "Last-Modified",
    "Vary",
}


@pytest.mark.parametrize("secure", [False, True])
def test_healthz_carries_the_security_headers_of_every_page(client, settings, secure):
    """/healthz is answered early (any Host), yet with the same security headers as the
    leaderboard: CSP, X-Frame-Options, nosniff, Referrer-Policy, COOP, and HSTS over HTTPS."""
    settings.SECURE_HSTS_SECONDS = 31536000
    page = client.get("/leaderboard/", secure=secure)
    health = client.get("/healthz", secure=secure, HTTP_HOST="127.0.0.1:8000")
    assert page.status_code == 200 and health.status_code == 200
    security = {name for name in page.headers if name not in CONTENT_HEADERS}
    assert {
        "Content-Security-Policy",
        "X-Frame-Options",
        "X-Content-Type-Options",
        "Referrer-Policy",
        "Cross-Origin-Opener-Policy",
    } <= security
    assert ("Strict-Transport-Security" in security) is secure
    assert {name: health.headers.get(name) for name in security} == {
        name: page.headers[name] for name in security
    }
