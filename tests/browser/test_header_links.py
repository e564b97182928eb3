"""The header every page shares (core/base.html) leads a signed-in person to their own
page (/me/), and a cadre to their reviews (/cadre/reviews): at 390 px, in the standard mode
and in 长辈模式, the link is on every resident page, a tap opens the page, nothing scrolls
sideways, and axe-core finds no violation on the page it opens."""

import pytest

from core import display
from tests.browser.test_accessibility import AXE, NOT_RESIDENTS, RUN_AXE
from tests.browser.test_csp import sign_in_as
from tests.site_tour import demo_district, page_stops

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCROLL_WIDTH = "document.documentElement.scrollWidth"


def test_the_header_leads_to_my_page_in_both_modes_at_phone_width(
    browser_page, live_server, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    district = demo_district()
    stops = [
        stop
        for stop in page_stops(district)
        if stop.label not in NOT_RESIDENTS and stop.user is not None
    ]
    cadre_user = next(stop.user for stop in stops if stop.label == "cadre reviews")
    axe_source = AXE.read_text()
    page = browser_page
    problems = {}
    for elder in (False, True):
        for stop in stops:
            sign_in_as(page, live_server, stop.user)
            if elder:
                page.context.add_cookies(
                    [{"name": display.COOKIE, "value": "1", "url": live_server.url}]
                )
            name = f"{stop.label} ({'elder' if elder else 'standard'})"
            assert page.goto(f"{live_server.url}{stop.path}").status == 200, name
            header = page.locator("header.top")
            if header.locator("#me-link").count() != 1:
                problems[name] = "no link to /me/ in the header"
                continue
            cadre_links = header.locator("#cadre-link").count()
            if cadre_links != (1 if stop.user == cadre_user else 0):
                problems[name] = f"{cadre_links} links to /cadre/reviews"
            if page.evaluate(SCROLL_WIDTH) > 390:
                problems[name] = "sideways scroll"
        # A tap on the header's link, from a public page and from a resident page.
        for user, link, opened, section in (
            (district["vendor"], "#me-link", "/me/", "#balance"),
            (cadre_user, "#cadre-link", "/cadre/reviews", "#reviews"),
        ):
            for stop in stops[:2]:
                sign_in_as(page, live_server, user)
                if elder:
                    page.context.add_cookies(
                        [{"name": display.COOKIE, "value": "1", "url": live_server.url}]
                    )
                page.goto(f"{live_server.url}{stop.path}")
                page.click(f"header.top {link}")
                page.wait_for_load_state("networkidle")
                assert page.url == f"{live_server.url}{opened}"
                assert page.locator(section).count() == 1
                assert page.locator("body.elder").count() == (1 if elder else 0)
                assert page.evaluate(SCROLL_WIDTH) <= 390
                page.evaluate(axe_source)
                assert page.evaluate(RUN_AXE, elder) == [], (opened, elder)
    assert problems == {}
