"""Every public and signed-in page (tests/site_tour.py) at 390 px, in the standard mode and
in 长辈模式: axe-core (npm, tests/browser/axe/) finds no violation (in elder mode with its
AAA contrast rule, 7:1), no page scrolls sideways, and the charts' text is 12 px or more
on the screen and inside the chart."""

from pathlib import Path

import pytest

from core import display
from tests.browser.test_csp import sign_in_as
from tests.site_tour import demo_district, page_stops

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"

# Swagger UI's page is a third party's; the admin's are tested in tests/browser/test_admin.py.
NOT_RESIDENTS = {"api docs", "admin login"}

# axe.run over the whole document; the argument turns the AAA contrast rule on or off.
RUN_AXE = """async (enhanced) => {
  const result = await axe.run(document, {
    rules: {"color-contrast-enhanced": {enabled: enhanced}},
    resultTypes: ["violations"],
  });
  return result.violations.map((v) => ({
    id: v.id,
    help: v.help,
    nodes: v.nodes.slice(0, 5).map((n) => n.target.join(" ") + " :: " + n.failureSummary),
  }));
}"""


# The smallest text of the page's server-drawn charts, in CSS pixels on the screen (each
# SVG's font-size times the scale its viewBox is drawn at); None: no chart.
SMALLEST_CHART_TEXT = """() => {
  const sizes = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    for (const text of svg.querySelectorAll("text")) {
      sizes.push(parseFloat(text.getAttribute("font-size")) * scale);
    }
  }
  return sizes.length ? Math.min(...sizes) : null;
}"""

# Every chart text inside its SVG's box (the last month's label is not cut).
CHART_TEXT_CUT = """() => {
  const cut = [];
  for (const svg of document.querySelectorAll("svg.chart")) {
    const box = svg.getBoundingClientRect();
    for (const text of svg.querySelectorAll("text")) {
      const r = text.getBoundingClientRect();
      if (r.left < box.left - 0.5 || r.right > box.right + 0.5) cut.push(text.textContent);
    }
  }
  return cut;
}"""


def test_every_page_is_accessible_in_both_modes_at_phone_width(
    browser_page, live_server, settings, tmp_path
):
    assert AXE.is_file(), "axe-core is missing: run `npm ci --prefix tests/browser/axe`"
    settings.MEDIA_ROOT = tmp_path / "media"
    district = demo_district()
    stops = [stop for stop in page_stops(district) if stop.label not in NOT_RESIDENTS]
    axe_source = AXE.read_text()
    page = browser_page
    assert page.viewport_size["width"] == 390
    problems = {}
    charts = set()
    for elder in (False, True):
        for stop in stops:
            sign_in_as(page, live_server, stop.user)
            if elder:
                page.context.add_cookies(
                    [{"name": display.COOKIE, "value": "1", "url": live_server.url}]
                )
            response = page.goto(f"{live_server.url}{stop.path}")
            assert response.status == 200, stop
            page.wait_for_load_state("networkidle")
            assert page.locator("body.elder").count() == (1 if elder else 0), stop
            # DevTools' evaluation is not subject to the page's CSP (no inline script).
            page.evaluate(axe_source)
            name = f"{stop.label} ({'elder' if elder else 'standard'})"
            violations = page.evaluate(RUN_AXE, elder)
            if violations:
                problems[name] = violations
            smallest = page.evaluate(SMALLEST_CHART_TEXT)
            if smallest is not None:
                charts.add(name)
            if smallest is not None and smallest < 12:
                problems.setdefault(name, []).append({"id": "chart text", "px": smallest})
            if cut := page.evaluate(CHART_TEXT_CUT):
                problems.setdefault(name, []).append({"id": "chart text cut", "texts": cut})
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > 390:
                problems.setdefault(name, []).append({"id": "sideways scroll", "width": width})
    assert problems == {}
    assert {"livestream (standard)", "livestream (elder)"} <= charts
