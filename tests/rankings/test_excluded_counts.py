"""The published figures count only the reviews not excluded, and show per cadre and per
unit how many were excluded and on what ground: both compile paths, the API, the page,
the CSV export and the open data."""

import datetime as dt

import pytest

from cadres import services as cadres_services
from cadres.models import Exclusion
from rankings import exports, services, verify_chain
from rankings.models import RankingEntry, RankingMonth

from .conftest import at

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
EXCLUDED_FIELDS = ("excluded_colleague", "excluded_appeal", "excluded_fraud")
# name: (unit, counted ratings, excluded grounds in March)
SPEC = {
    "安红": ("甲局", [5, 5, 4, 4, 2, 1], ["colleague", "colleague", "appeal"]),
    "白雪": ("甲局", [5, 5, 5, 5, 5], ["fraud"]),
    "陈刚": ("乙局", [4, 4, 4, 4, 4], []),
}
# Hand-computed: cadre or unit -> (reviews, colleague, appeal, fraud)
EXPECTED = {
    "安红": (6, 2, 1, 0),
    "白雪": (5, 0, 0, 1),
    "陈刚": (5, 0, 0, 0),
    "甲局": (11, 2, 1, 1),
    "乙局": (5, 0, 0, 0),
}


@pytest.fixture
def month(make_unit, make_cadre, make_user):
    units = {name: make_unit(name) for name in ("甲局", "乙局")}
    reviewers = [make_user() for _ in range(10)]
    cadres = {}
    for name, (unit, counted, grounds) in SPEC.items():
        cadre = cadres[name] = make_cadre(unit=units[unit], name=name)
        ratings = counted + [1] * len(grounds)
        for index, rating in enumerate(ratings):
            with at(dt.datetime(2026, 3, 2 + index, 2, 0, tzinfo=dt.UTC)):
                review = cadres_services.review_create(
                    cadre=cadre, reviewer=reviewers[index], rating=rating
                )
            if index >= len(counted):
                ground = grounds[index - len(counted)]
                assert cadres_services.review_exclude(review_id=review.pk, reason=ground)
    # Excluded in February: not March's.
    with at(dt.datetime(2026, 2, 20, 2, 0, tzinfo=dt.UTC)):
        old = cadres_services.review_create(cadre=cadres["安红"], reviewer=reviewers[0], rating=1)
    cadres_services.review_exclude(review_id=old.pk, reason=Exclusion.FRAUD)
    return cadres


def figures(ranking):
    return {
        e.name: (e.reviews, e.excluded_colleague, e.excluded_appeal, e.excluded_fraud)
        for e in RankingEntry.objects.filter(ranking=ranking)
    }


def test_the_compile_counts_what_was_excluded_by_ground(month):
    ranking = services.rankings_compile(month=MARCH)
    assert figures(ranking) == EXPECTED
    # The excluded bad reviews weigh on nothing: 白雪's five 5s are all it has.
    bai = RankingEntry.objects.get(ranking=ranking, name="白雪")
    assert (str(bai.satisfaction_rate), str(bai.response_rate)) == ("1.0000", "1.0000")
    ranking = services.rankings_compile(month=MARCH, python=True)
    assert figures(ranking) == EXPECTED


@pytest.mark.postgres
def test_both_compile_paths_store_the_same_excluded_counts(month):
    def rows():
        return list(
            RankingEntry.objects.order_by("scope", "position").values_list(
                "scope", "name", "reviews", "score", "rank", *EXCLUDED_FIELDS
            )
        )

    services.rankings_compile(month=MARCH)
    in_sql = rows()
    services.rankings_compile(month=MARCH, python=True)
    assert rows() == in_sql
    assert sum(row[5] + row[6] + row[7] for row in in_sql) == 2 * (2 + 1 + 1)


def test_every_published_view_shows_the_counts(api, client, month):
    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)

    units = api.get("/api/v1/rankings/2026-03?scope=unit").json()["entries"]
    assert {e["name"]: e["excluded"] for e in units} == {
        "甲局": {"colleague": 2, "appeal": 1, "fraud": 1},
        "乙局": {"colleague": 0, "appeal": 0, "fraud": 0},
    }
    cadres = api.get("/api/v1/rankings/2026-03?scope=cadre").json()["entries"]
    an = next(e for e in cadres if e["name"] == "安红")
    assert (an["reviews"], an["excluded"]) == (6, {"colleague": 2, "appeal": 1, "fraud": 0})

    text = exports.rankings_csv([ranking]).decode("utf-8-sig")
    header, *lines = text.splitlines()
    assert header.count(",") == 15  # the excluded counts, then the verified share
    an_line = next(line for line in lines if "安红" in line and ",2,1,0," in line)
    assert an_line

    document = client.get("/open/rankings/2026-03/v1.json").json()
    assert set(EXCLUDED_FIELDS) <= set(document["entry_fields"])
    jia = next(e for e in document["entries"] if e["scope"] == "unit" and e["name"] == "甲局")
    assert [jia[f] for f in EXCLUDED_FIELDS] == [2, 1, 1]
    rows = verify_chain.rows_from_json(document["entries"])
    assert (
        verify_chain.digest(previous=document["previous_digest"], month="2026-03", rows=rows)
        == document["digest"]
    )
    table = client.get("/open/rankings/2026-03/v1.csv").content.decode("utf-8")
    assert verify_chain.rows_from_csv(table) == rows

    page = client.get("/leaderboard/2026-03/?unit=" + str(month["安红"].unit_id)).content.decode()
    assert 'class="excluded"' in page
    # 甲局's line among the units, and its cadres 安红 and 白雪; not 乙局 nor 陈刚.
    assert page.count('class="excluded"') == 3


def test_the_digest_covers_the_excluded_counts(month):
    from rankings import selectors

    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)
    assert selectors.ranking_month_verify(ranking=ranking)
    RankingEntry.objects.filter(ranking=ranking, name="白雪").update(excluded_fraud=0)
    assert not selectors.ranking_month_verify(ranking=ranking)


def test_a_month_sealed_before_the_counts_keeps_its_digest(month):
    """A month sealed before reviews could be excluded (digest_covers_verified false)
    hashes only the values it covered then, and still verifies."""
    from rankings import selectors

    ranking = services.rankings_compile(month=MARCH)
    RankingMonth.objects.filter(pk=ranking.pk).update(digest_covers_verified=False)
    ranking = services.ranking_month_publish(month=MARCH)
    entries = selectors.ranking_digest_entries(ranking=ranking)
    assert {len(row) for row in entries} == {len(selectors.DIGEST_FIELDS)}
    assert selectors.ranking_month_verify(ranking=ranking)
    assert ranking.digest == verify_chain.digest(
        previous=ranking.previous_digest, month="2026-03", rows=entries
    )
