"""Under the Content-Security-Policy, the pages still work in a real browser."""

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_under_the_policy(browser_page, live_server):
    """/api/docs/ lists the operations, and the browser reports no CSP violation."""
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(f"{live_server.url}/api/docs/")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    page.wait_for_selector(".opblock-summary", timeout=30_000)
    assert page.locator(".opblock-summary").count() > 10
    assert violations == []


def test_the_admin_login_page_renders_under_the_policy(browser_page, live_server):
    """The admin's login page loads its styles and reports no CSP violation."""
    page = browser_page
    violations = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    response = page.goto(f"{live_server.url}/admin/login/")
    assert "content-security-policy" in response.headers
    assert page.locator("#id_username").is_visible()
    assert violations == []
