"""Every page, the admin and the API docs send a strict Content-Security-Policy."""

import pytest

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
