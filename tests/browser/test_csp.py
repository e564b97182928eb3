"""Under the Content-Security-Policy, the pages still work in a real browser: no inline
style or script is refused anywhere, and the pages are styled by their CSS files."""

import json

import pytest
from django.conf import settings
from django.test import Client

from stalls.models import Stall
from tests.site_tour import admin_stops, demo_district, page_stops

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, as `securitypolicyviolation` events (installed before
# the page's own scripts; DevTools' init scripts are not subject to the policy).
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""

# One style of each page that only its CSS file gives: (selector, property, value).
STYLED = {
    "leaderboard": ("header.top", "background-color", "rgb(200, 22, 29)"),
    "badge": ("#cadre-card", "display", "flex"),
    "badge signed in": (".stars", "display", "grid"),
    "site signed in": ("#id_pledge", "width", "13px"),
    "stall": ("#stall-photo", "float", "right"),
    "stall of its vendor": ("#my-photo", "max-width", "160px"),
    "open data": (".scroll", "overflow-x", "auto"),
    "livestream": ("main", "max-width", "720px"),
    "desk": ("main", "max-width", "720px"),
    "merchant": ("main", "max-width", "720px"),
    "notifications": ("main", "max-width", "720px"),
    "ticket window": ("#ticket-cadre", "border-radius", "8px"),
    "api docs": ("body", "background-color", "rgb(250, 250, 250)"),
    "admin login": ("#header", "display", "flex"),
    "admin index": ("#header", "display", "flex"),
    "stalls.Stall change": ("img.photo-preview", "max-width", "480px"),
}

# Swagger UI draws only the operations near the screen once a schema has 150 tags and
# operations or more: scrolled down to the end, the ids of every operation it drew.
DRAWN_OPERATIONS = """async () => {
  const drawn = new Set();
  const frame = () => new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve)));
  for (let last = -1; window.scrollY !== last; ) {
    document.querySelectorAll(".opblock").forEach((block) => drawn.add(block.id));
    last = window.scrollY;
    window.scrollBy(0, window.innerHeight / 2);
    await frame();
    await frame();
  }
  document.querySelectorAll(".opblock").forEach((block) => drawn.add(block.id));
  window.scrollTo(0, 0);
  return drawn.size;
}"""

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def schema_operations() -> int:
    """How many operations /api/schema/ lists."""
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    paths = json.loads(response.content)["paths"]
    return sum(1 for item in paths.values() for method in item if method in METHODS)


def sign_in_as(page, live_server, user):
    """The browser carries `user`'s session (or none)."""
    page.context.clear_cookies()
    if user is None:
        return
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )


def test_the_pages_and_the_admin_run_under_the_policy_with_their_styles(
    browser_page, live_server, settings, tmp_path
):
    """Each page (public and signed in), /api/docs/ (Swagger UI drawn) and the admin
    (index, a list, the change form of a stall with its photo): style-src 'self' only,
    no CSP violation in the console nor as an event, and a style of its CSS file applies."""
    settings.MEDIA_ROOT = tmp_path / "media"
    district = demo_district()
    admin = {stop.label: stop for stop in admin_stops(district)}
    stall = Stall.objects.get()
    stops = [
        *page_stops(district),
        admin["admin index"],
        admin["stalls.Stall list"],
        admin["stalls.Stall change"]._replace(path=f"/admin/stalls/stall/{stall.pk}/change/"),
    ]
    page = browser_page
    console = []
    page.on(
        "console",
        lambda message: (
            console.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.add_init_script(RECORD_VIOLATIONS)
    checked = set()
    for stop in stops:
        sign_in_as(page, live_server, stop.user)
        response = page.goto(f"{live_server.url}{stop.path}")
        assert response.status == 200, stop
        assert "style-src 'self';" in response.headers["content-security-policy"], stop
        page.wait_for_load_state("networkidle")
        if stop.label == "api docs":
            page.wait_for_selector(".opblock-summary", timeout=30_000)
            assert page.evaluate(DRAWN_OPERATIONS) == schema_operations() > 100
        assert page.evaluate("window.cspViolations") == [], stop
        assert console == [], stop
        if stop.label in STYLED:
            selector, name, value = STYLED[stop.label]
            computed = page.locator(selector).first.evaluate(
                f"element => getComputedStyle(element).getPropertyValue('{name}')"
            )
            assert computed == value, stop
            checked.add(stop.label)
    assert checked == set(STYLED)
