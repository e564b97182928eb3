"""A cadre's history: GET /cadres/{id}/history (public, published months only, newest
first, at most 12) and the server-drawn SVG chart of its scores on the badge page."""

import datetime as dt
from decimal import Decimal
from xml.etree import ElementTree

import pytest

from cadres import services
from cadres.codes import badge_token
from rankings import charts
from rankings import services as rankings_services
from tests.conftest import next_phone

from .conftest import at

pytestmark = pytest.mark.django_db

SVG = "{http://www.w3.org/2000/svg}"


def publish_month(make_user, month, ratings, *, verified=(), publish=True):
    """5 reviews each in `month` ({cadre: rating}); `verified`: cadres reviewed through
    tickets."""
    issuer = make_user(phone=next_phone())
    for cadre, rating in ratings.items():
        for day in range(5):
            with at(dt.datetime(month.year, month.month, 2 + day, 2, 0, tzinfo=dt.UTC)):
                ticket = (
                    services.ticket_issue(cadre=cadre, issued_by=issuer)
                    if cadre in verified
                    else None
                )
                services.review_create(
                    cadre=cadre,
                    reviewer=make_user(phone=next_phone()),
                    rating=rating,
                    ticket=ticket,
                )
    rankings_services.rankings_compile(month=month)
    if publish:
        rankings_services.ranking_month_publish(month=month)


@pytest.fixture
def two_months(make_user, make_cadre, cadre):
    rival = make_cadre(unit=cadre.unit, name="<b>对手</b>")
    publish_month(make_user, dt.date(2026, 1, 1), {cadre: 1, rival: 5})
    publish_month(make_user, dt.date(2026, 2, 1), {cadre: 5, rival: 1}, verified={cadre})
    # Compiled, not published: never shown.
    publish_month(make_user, dt.date(2026, 3, 1), {cadre: 1, rival: 5}, publish=False)
    return rival


def test_the_history_lists_published_months_newest_first(api, cadre, two_months):
    response = api.get(f"/api/v1/cadres/{cadre.pk}/history")
    assert response.status_code == 200
    body = response.json()
    assert body["cadre"]["id"] == cadre.pk and body["cadre"]["name"] == "王丽娜"
    assert [
        (m["month"], m["rank"], m["unit_rank"], m["reviews"], m["verified_share"], m["bottom"])
        for m in body["months"]
    ] == [
        ("2026-02", 1, 1, 5, "1.0000", False),
        ("2026-01", 2, 2, 5, "0.0000", True),
    ]
    assert body["months"][0]["score"] > body["months"][1]["score"]
    # Reviewers stay anonymous: nothing but figures.
    assert set(body["months"][0]) == {
        "month",
        "rank",
        "unit_rank",
        "score",
        "reviews",
        "verified_share",
        "bottom",
    }


def test_the_history_keeps_the_last_12_months(api, make_user, cadre, make_cadre):
    for month in range(1, 11):
        publish_month(make_user, dt.date(2025, month + 2, 1), {cadre: 5})
    for month in range(1, 4):
        publish_month(make_user, dt.date(2026, month, 1), {cadre: 4})
    months = [m["month"] for m in api.get(f"/api/v1/cadres/{cadre.pk}/history").json()["months"]]
    assert len(months) == 12
    assert months[0] == "2026-03" and months[-1] == "2025-04"


def test_an_unknown_cadre_is_404(api, db):
    response = api.get("/api/v1/cadres/999999/history")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_the_history_takes_a_fixed_number_of_queries(
    api, cadre, two_months, django_assert_num_queries
):
    with django_assert_num_queries(3):
        assert api.get(f"/api/v1/cadres/{cadre.pk}/history").status_code == 200


def test_the_badge_page_draws_the_scores_as_svg(client, cadre, two_months):
    """The chart is well-formed XML with one point per published month, oldest first, at
    the height of its score; names in it are escaped."""
    page = client.get(f"/q/{badge_token(cadre)}")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="cadre-history"' in html
    start = html.index("<svg")
    end = html.index("</svg>", start) + len("</svg>")
    svg = ElementTree.fromstring(html[start:end])  # noqa: S314 (our own page)
    points = svg.findall(f"{SVG}circle")
    assert [p.get("data-month") for p in points] == ["2026-01", "2026-02"]
    history = client.get(f"/api/v1/cadres/{cadre.pk}/history").json()["months"][::-1]
    for index, (point, month) in enumerate(zip(points, history, strict=True)):
        x, y = charts.point_xy(index, 2, Decimal(month["score"]))
        assert (float(point.get("cx")), float(point.get("cy"))) == (x, y)
    [line] = svg.findall(f"{SVG}polyline")
    assert len(line.get("points").split()) == 2
    # The rival's name is escaped on its own page too.
    rival_page = client.get(f"/q/{badge_token(two_months)}").content.decode()
    assert "<b>对手</b>" not in rival_page


def test_the_chart_escapes_its_text_and_leaves_gaps():
    svg = charts.score_chart_svg(
        [("2026-01", None), ("<x>&", None), ("2026-03", 50)], title='"<title>"'
    )
    tree = ElementTree.fromstring(str(svg))  # noqa: S314 (our own chart)
    assert tree.find(f"{SVG}title").text == '"<title>"'
    assert [c.get("data-month") for c in tree.findall(f"{SVG}circle")] == ["2026-03"]
    assert tree.findall(f"{SVG}polyline") == []
    assert "<x>&" in [t.text for t in tree.findall(f"{SVG}text")]


def test_a_cadre_without_published_months_has_no_chart(client, cadre):
    html = client.get(f"/q/{badge_token(cadre)}").content.decode()
    assert "<svg" not in html
