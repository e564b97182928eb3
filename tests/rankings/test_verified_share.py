"""The rankings publish each cadre's verified share: the reviews made through a service
ticket (tests/cadres/test_tickets.py), counted by the compile, shown in the API, the
pages, the exports and the open data, and covered by the digest."""

import datetime as dt

import pytest

from cadres import services as cadres_services
from rankings import exports, selectors, services, verify_chain
from rankings.models import RankingEntry, RankingMonth
from tests.conftest import next_phone

from .conftest import at

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)


@pytest.fixture
def verified_month(make_unit, make_cadre, make_user):
    """March 2026: two cadres of one unit; 甲 has 6 reviews, 4 through tickets (one of
    them rated 1), 乙 has 5 through the badge only."""
    unit = make_unit("验证局")
    first, second = make_cadre(unit=unit, name="甲"), make_cadre(unit=unit, name="乙")
    issuer = make_user(phone=next_phone())
    plan = [(first, 5, True)] * 3 + [(first, 1, True)] + [(first, 4, False)] * 2
    plan += [(second, 5, False)] * 5
    for index, (cadre, rating, verified) in enumerate(plan):
        moment = dt.datetime(2026, 3, 2 + index, 2, 0, tzinfo=dt.UTC)
        with at(moment):
            ticket = (
                cadres_services.ticket_issue(cadre=cadre, issued_by=issuer) if verified else None
            )
            cadres_services.review_create(
                cadre=cadre, reviewer=make_user(phone=next_phone()), rating=rating, ticket=ticket
            )
    return {"unit": unit, "first": first, "second": second}


COLUMNS = ("scope", "name", "rank", "reviews", "satisfied", "bad", "score", "bottom", "verified")


def entries():
    return list(RankingEntry.objects.order_by("scope", "position").values_list(*COLUMNS))


def test_the_compile_counts_verified_reviews_and_publishes_the_share(api, verified_month):
    """`verified` per entry (unit = the sum of its cadres); the API's verified_share has 4
    places; a month compiled without RANKINGS_VERIFIED_ONLY says so."""
    services.rankings_compile(month=MARCH)
    counted = {(scope, name): verified for scope, name, *_rest, verified in entries()}
    assert counted == {("unit", "验证局"): 4, ("cadre", "甲"): 4, ("cadre", "乙"): 0}
    services.ranking_month_publish(month=MARCH)
    body = api.get("/api/v1/rankings/2026-03?scope=cadre").json()
    assert body["verified_only"] is False
    assert {e["name"]: e["verified_share"] for e in body["entries"]} == {
        "甲": "0.6667",
        "乙": "0.0000",
    }
    units = api.get("/api/v1/rankings/2026-03").json()["entries"]
    assert units[0]["verified_share"] == "0.3636"  # 4 of 11


def test_ranking_on_verified_reviews_only(api, verified_month, settings):
    """RANKINGS_VERIFIED_ONLY: only the 4 ticket reviews count; 乙 has none left."""
    settings.RANKINGS_VERIFIED_ONLY = True
    ranking = services.rankings_compile(month=MARCH)
    assert ranking.verified_only is True
    figures = {
        (scope, name): (reviews, verified) for scope, name, _r, reviews, *_x, verified in entries()
    }
    assert figures == {("unit", "验证局"): (4, 4), ("cadre", "甲"): (4, 4), ("cadre", "乙"): (0, 0)}
    services.ranking_month_publish(month=MARCH)
    body = api.get("/api/v1/rankings/2026-03?scope=cadre").json()
    assert body["verified_only"] is True
    assert body["entries"][0]["verified_share"] == "1.0000"


@pytest.mark.parametrize("verified_only", [False, True])
def test_the_database_and_python_compile_the_same_verified_counts(
    verified_month, settings, verified_only
):
    """COMPILE_SQL (PostgreSQL) and the Python path give the same rows, verified included."""
    settings.RANKINGS_VERIFIED_ONLY = verified_only
    services.rankings_compile(month=MARCH)
    in_sql = entries()
    services.rankings_compile(month=MARCH, python=True)
    assert entries() == in_sql
    assert [row[-1] for row in in_sql if row[0] == "unit"] == [4]


def test_the_open_data_and_the_digest_cover_the_verified_share(client, verified_month):
    """The month's open files carry verified_share, the digest covers it (the standalone
    verifier recomputes it from JSON and CSV), and changing a verified count shows."""
    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)
    document = client.get("/open/rankings/2026-03/v1.json").json()
    assert document["entry_fields"] == list(selectors.VERIFIED_DIGEST_FIELDS)
    assert document["entry_fields"][-1] == "verified_share"
    shares = {(e["scope"], e["name"]): e["verified_share"] for e in document["entries"]}
    assert shares[("cadre", "甲")] == "0.6667" and shares[("unit", "验证局")] == "0.3636"
    rows = verify_chain.rows_from_json(document["entries"], document["entry_fields"])
    assert verify_chain.digest(previous="", month="2026-03", rows=rows) == ranking.digest
    table = client.get("/open/rankings/2026-03/v1.csv").content.decode("utf-8")
    assert verify_chain.rows_from_csv(table) == rows
    assert selectors.ranking_month_verify(ranking=ranking)
    RankingEntry.objects.filter(ranking=ranking, name="甲").update(verified=1)
    assert not selectors.ranking_month_verify(ranking=ranking)


def test_a_month_sealed_before_tickets_keeps_its_digest(client, verified_month):
    """A month whose digest was sealed without the verified share (published before the
    tickets) still verifies, and its files name only the values its digest covers."""
    ranking = services.rankings_compile(month=MARCH)
    RankingMonth.objects.filter(pk=ranking.pk).update(digest_covers_verified=False)
    ranking = services.ranking_month_publish(month=MARCH)
    assert selectors.ranking_month_verify(ranking=ranking)
    document = client.get("/open/rankings/2026-03/v1.json").json()
    assert document["entry_fields"] == list(selectors.DIGEST_FIELDS)
    rows = verify_chain.rows_from_json(document["entries"], document["entry_fields"])
    assert verify_chain.digest(previous="", month="2026-03", rows=rows) == ranking.digest


def test_the_page_and_the_exports_show_the_verified_share(client, verified_month, settings):
    settings.RANKINGS_VERIFIED_ONLY = True
    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)
    unit_id = verified_month["unit"].pk
    html = client.get(f"/leaderboard/2026-03/?unit={unit_id}").content.decode()
    # Shown as a percentage (core.templatetags.display.percent); the API keeps 1.0000.
    assert '<span class="verified">100.0\u00a0%</span>' in html
    assert 'id="verified-only"' in html
    table = exports.rankings_csv([ranking]).decode("utf-8-sig").splitlines()
    assert table[0].split(",")[-1] in {"Verified share", "核验占比"}
    assert any(line.startswith("2026-03") and line.endswith(",1.0000") for line in table[1:])
