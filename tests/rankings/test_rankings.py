"""Monthly rankings: API.md's formulas on a hand-computed month, publishing, the digest.

The month: March 2026 in Asia/Shanghai. 3 units, 12 cadres, 200 reviews, 10 of them
just outside the month (the last minutes of February and the first of April, Shanghai
time, which are other UTC days than one might think). Figures below were worked out by
hand from the counts in SPEC; e.g. 白雪: 10 reviews, 8 satisfied, 2 bad, 1 answered and
rejected: W = (0.8 + 3.8416/20 - 1.96*sqrt(0.016 + 0.009604)) / 1.38416 = 0.490157,
score = 100*(0.6*0.490157 + 0.3*0.5 + 0.1*0) = 44.41.
"""

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from cadres import services as cadres_services
from cadres.models import Review
from core.months import local_today
from core.timezones import LOCAL_TZ
from rankings import errors as rankings_errors
from rankings import exports, formulas, selectors, services
from rankings.models import RankingEntry, RankingMonth
from tests.conftest import next_phone

from .conftest import at

pytestmark = pytest.mark.django_db

MARCH = dt.date(2026, 3, 1)
SHANGHAI = LOCAL_TZ

# name: (unit, {rating: count}, bad answered, good answered, rejected, accepted)
SPEC = {
    "安红": ("甲局", {5: 12, 4: 4, 3: 2, 2: 1, 1: 1}, 2, 0, 1, 1),
    "白雪": ("甲局", {5: 8, 1: 2}, 1, 0, 1, 0),
    "陈刚": ("甲局", {5: 4}, 0, 0, 0, 0),
    "邓伟": ("甲局", {}, 0, 0, 0, 0),
    "范丽": ("乙局", {5: 25, 4: 5}, 0, 0, 0, 0),
    "高峰": ("乙局", {5: 10, 3: 3, 2: 2}, 0, 0, 0, 0),
    "韩梅": ("乙局", {5: 10, 3: 3, 2: 2}, 0, 0, 0, 0),
    "金涛": ("乙局", {4: 3, 3: 1, 1: 1}, 1, 0, 0, 1),
    "李娜": ("丙局", {5: 20, 4: 10, 3: 4, 2: 4, 1: 2}, 4, 1, 2, 3),
    "刘洋": ("丙局", {5: 5, 4: 5, 3: 5, 2: 5, 1: 5}, 10, 0, 6, 2),
    "马超": ("丙局", {4: 20}, 0, 0, 0, 0),
    "孙悦": ("丙局", {1: 6}, 0, 0, 0, 0),
}
# Outside March in Shanghai: (cadre, rating, UTC moment).
OUTSIDE = [
    *[("范丽", 1, dt.datetime(2026, 2, 28, 15, 30, tzinfo=dt.UTC))] * 3,  # Feb 28 23:30
    *[("陈刚", 5, dt.datetime(2026, 2, 28, 15, 59, tzinfo=dt.UTC))] * 2,  # Feb 28 23:59
    *[("孙悦", 5, dt.datetime(2026, 3, 31, 16, 30, tzinfo=dt.UTC))] * 3,  # Apr 1 00:30
    *[("孙悦", 1, dt.datetime(2026, 3, 31, 16, 0, 30, tzinfo=dt.UTC))] * 2,  # Apr 1 00:00:30
]
# Inside March although another UTC month or day: the first review of 安红 is at
# Mar 1 00:30 Shanghai (Feb 28 16:30 UTC); the last of 马超 at Mar 31 23:30 (15:30 UTC).
FIRST_MINUTE = dt.datetime(2026, 2, 28, 16, 30, tzinfo=dt.UTC)
LAST_MINUTE = dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC)

# Hand-computed: (reviews, satisfaction, response, rejection, score).
EXPECTED_CADRES = {
    "安红": (20, "0.8000", "1.0000", "0.5000", "70.04"),
    "白雪": (10, "0.8000", "0.5000", "1.0000", "44.41"),
    "陈刚": (4, "1.0000", "1.0000", "0.0000", "70.61"),
    "邓伟": (0, "0.0000", "1.0000", "0.0000", "40.00"),
    "范丽": (30, "1.0000", "1.0000", "0.0000", "93.19"),
    "高峰": (15, "0.6667", "0.0000", "0.0000", "35.03"),
    "韩梅": (15, "0.6667", "0.0000", "0.0000", "35.03"),
    "金涛": (5, "0.6000", "1.0000", "0.0000", "53.84"),
    "李娜": (40, "0.7500", "0.6667", "0.4000", "61.88"),
    "刘洋": (25, "0.4000", "1.0000", "0.7500", "46.54"),
    "马超": (20, "1.0000", "1.0000", "0.0000", "90.33"),
    "孙悦": (6, "0.0000", "0.0000", "0.0000", "10.00"),
}
EXPECTED_UNITS = {
    "甲局": (34, "0.8235", "0.7500", "0.6667", "65.72"),
    "乙局": (65, "0.8154", "0.2000", "0.0000", "58.27"),
    "丙局": (91, "0.6593", "0.6364", "0.6154", "56.37"),
}
# Score, then more reviews, then name (code point order: 韩 U+97E9 before 高 U+9AD8).
CADRE_ORDER = [
    "范丽",
    "马超",
    "安红",
    "李娜",
    "金涛",
    "刘洋",
    "白雪",
    "韩梅",
    "高峰",
    "孙悦",
    "陈刚",
    "邓伟",
]


@pytest.fixture
def march(make_unit, make_cadre, make_user):
    """Build the month through review_create, at the moments given (mocked clock)."""
    units = {name: make_unit(name) for name in EXPECTED_UNITS}
    cadres = {name: make_cadre(unit=units[spec[0]], name=name) for name, spec in SPEC.items()}
    responder = make_user()
    reviewers = [make_user(phone=next_phone()) for _ in range(40)]
    for name, (_unit, counts, bad_answered, good_answered, rejected, accepted) in SPEC.items():
        ratings = [r for r in (5, 4, 3, 2, 1) for _ in range(counts.get(r, 0))]
        made = []
        for index, rating in enumerate(ratings):
            moment = dt.datetime(2026, 3, 1 + index % 28, 2, 0, tzinfo=dt.UTC)
            if name == "安红" and index == 0:
                moment = FIRST_MINUTE
            if name == "马超" and index == len(ratings) - 1:
                moment = LAST_MINUTE
            with at(moment):
                made.append(
                    cadres_services.review_create(
                        cadre=cadres[name], reviewer=reviewers[index], rating=rating
                    )
                )
        answered = [r for r in made if r.rating <= 2][:bad_answered]
        answered += [r for r in made if r.rating >= 4][:good_answered]
        # Good answers get the first verdicts, so that 李娜's answered 5 is rejected.
        answered.sort(key=lambda r: -r.rating)
        for review in answered:
            cadres_services.review_respond(review=review, responder=responder, message="已处理")
        for index, review in enumerate(answered[: rejected + accepted]):
            cadres_services.review_verdict(
                review=review, reviewer=review.reviewer, accepted=index >= rejected
            )
    for index, (name, rating, moment) in enumerate(OUTSIDE):
        with at(moment):
            review = cadres_services.review_create(
                cadre=cadres[name], reviewer=reviewers[-1 - index], rating=rating
            )
        if rating <= 2:
            cadres_services.review_respond(review=review, responder=responder, message="已处理")
    assert Review.objects.count() == 200
    return {"units": units, "cadres": cadres}


def figures_of(entry):
    return (
        entry.reviews,
        str(entry.satisfaction_rate),
        str(entry.response_rate),
        str(entry.rejection_rate),
        str(entry.score),
    )


def test_it_computes_the_hand_computed_month(march):
    """Every figure of every scope equals the hand computation; the month is Shanghai's."""
    ranking = services.rankings_compile(month=MARCH)
    cadre_entries = list(selectors.ranking_entries(ranking=ranking, scope="cadre"))
    assert [e.name for e in cadre_entries] == CADRE_ORDER
    assert {e.name: figures_of(e) for e in cadre_entries} == {
        name: (n, *map(str, rest)) for name, (n, *rest) in EXPECTED_CADRES.items()
    }
    assert [e.rank for e in cadre_entries] == [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, None, None]
    # 10 ranked: the bottom 10% is one entry, the lowest ranked.
    assert [e.name for e in cadre_entries if e.bottom] == ["孙悦"]

    unit_entries = list(selectors.ranking_entries(ranking=ranking, scope="unit"))
    assert [(e.name, e.rank, e.bottom) for e in unit_entries] == [
        ("甲局", 1, False),
        ("乙局", 2, False),
        ("丙局", 3, True),
    ]
    assert {e.name: figures_of(e) for e in unit_entries} == EXPECTED_UNITS


def test_each_unit_ranks_its_own_cadres(march):
    ranking = services.rankings_compile(month=MARCH)

    def scope(unit):
        entries = selectors.ranking_entries(
            ranking=ranking, scope="cadre", unit_id=march["units"][unit].pk
        )
        return [(e.name, e.rank, e.bottom) for e in entries]

    assert scope("甲局") == [
        ("安红", 1, False),
        ("白雪", 2, True),
        ("陈刚", None, False),
        ("邓伟", None, False),
    ]
    assert scope("乙局") == [
        ("范丽", 1, False),
        ("金涛", 2, False),
        ("韩梅", 3, False),
        ("高峰", 4, True),
    ]
    assert scope("丙局") == [
        ("马超", 1, False),
        ("李娜", 2, False),
        ("刘洋", 3, False),
        ("孙悦", 4, True),
    ]


def test_the_wilson_bound_and_the_formulas_by_hand():
    """Wilson lower bound, z = 1.96, against values worked out by hand."""
    assert formulas.wilson_lower_bound(8, 10) == pytest.approx(0.490157, abs=1e-6)
    assert formulas.wilson_lower_bound(30, 30) == pytest.approx(30 / 33.8416, abs=1e-9)
    assert formulas.wilson_lower_bound(0, 6) == 0.0
    assert formulas.wilson_lower_bound(0, 0) == 0.0
    none_bad = formulas.figures(formulas.Counts(reviews=5, satisfied=5))
    assert none_bad.response_rate == Decimal("1.0000")  # no bad reviews: 1.0
    assert none_bad.rejection_rate == Decimal("0.0000")  # no verdicts: 0.0


def line(key, name, score, reviews):
    return formulas.Line(
        key=key,
        name=name,
        counts=formulas.Counts(reviews=reviews),
        figures=formulas.Figures(Decimal(0), Decimal(0), Decimal(0), Decimal(score)),
    )


def test_ties_go_to_more_reviews_then_to_the_name():
    ordered = formulas.rank_lines(
        [
            line(1, "b", "50.00", 9),
            line(2, "a", "50.00", 9),
            line(3, "c", "50.00", 12),
            line(4, "d", "60.00", 5),
        ]
    )
    assert [(x.name, x.rank) for x in ordered] == [("d", 1), ("c", 2), ("a", 3), ("b", 4)]


def test_fewer_than_5_reviews_are_listed_unranked_and_never_bottom():
    ordered = formulas.rank_lines([line(1, "a", "90.00", 4), line(2, "b", "10.00", 5)])
    assert [(x.name, x.rank, x.bottom) for x in ordered] == [("b", 1, True), ("a", None, False)]
    assert [x.rank for x in formulas.rank_lines([line(1, "a", "1.00", 0)])] == [None]


def test_it_lists_lines_without_reviews_after_every_line_with_reviews():
    """A line with no review (the formulas give it 40.00) follows an unranked line whose
    few reviews scored lower: it has no score to be sorted by."""
    ordered = formulas.rank_lines(
        [line(1, "a", "40.00", 0), line(2, "b", "12.00", 1), line(3, "c", "50.00", 5)]
    )
    assert [(x.name, x.rank) for x in ordered] == [("c", 1), ("b", None), ("a", None)]


@pytest.mark.parametrize(
    "ranked, bottom", [(1, 1), (9, 1), (10, 1), (11, 2), (20, 2), (21, 3), (30, 3), (5000, 500)]
)
def test_the_bottom_is_10_percent_rounded_up(ranked, bottom):
    lines = [line(i, f"n{i:04d}", f"{i / 100:.2f}", 5) for i in range(ranked)]
    ordered = formulas.rank_lines(lines)
    assert sum(x.bottom for x in ordered) == bottom
    assert all(x.bottom for x in ordered[-bottom:])


@pytest.mark.postgres
def test_the_database_and_python_compile_the_same_entries(march):
    """On PostgreSQL the month is compiled in SQL; the Python path gives the same rows."""

    def rows():
        return list(
            RankingEntry.objects.order_by("scope", "position").values_list(
                "scope",
                "unit_position",
                "unit_rank",
                "unit_bottom",
                "unit_id",
                "cadre_id",
                "name",
                "unit_name",
                "rank",
                "reviews",
                "satisfied",
                "bad",
                "bad_answered",
                "verdicts",
                "rejected",
                "satisfaction_rate",
                "response_rate",
                "rejection_rate",
                "score",
                "bottom",
            )
        )

    services.rankings_compile(month=MARCH)
    in_sql = rows()
    services.rankings_compile(month=MARCH, python=True)
    assert rows() == in_sql
    assert len(in_sql) == 3 + 12


def test_compiling_twice_gives_the_same_result(march):
    def snapshot():
        return list(
            RankingEntry.objects.order_by("scope", "position").values_list(
                "scope", "unit_rank", "name", "rank", "reviews", "score", "bottom"
            )
        )

    services.rankings_compile(month=MARCH)
    first = snapshot()
    services.rankings_compile(month=MARCH)
    assert snapshot() == first
    assert RankingMonth.objects.count() == 1
    assert len(first) == 3 + 12


def test_it_stores_one_row_a_cadre_and_digests_all_three_scopes(march):
    """Each cadre is one stored row carrying its rank within its unit; the digest still
    covers the three scopes of lines (units, cadres, each unit's cadres) as published."""
    ranking = services.rankings_compile(month=MARCH)
    assert RankingEntry.objects.filter(ranking=ranking).count() == 3 + 12
    lines = selectors.ranking_digest_entries(ranking=ranking)
    assert [line[0] for line in lines] == ["cadre"] * 12 + ["unit"] * 3 + ["unit_cadre"] * 12
    within = [line for line in lines if line[0] == "unit_cadre"]
    unit_b = march["units"]["乙局"].pk
    assert [(line[4], line[6], line[12]) for line in within if line[1] == unit_b] == [
        ("范丽", 1, False),
        ("金涛", 2, False),
        ("韩梅", 3, False),
        ("高峰", 4, True),
    ]
    assert all(line[1] == line[2] for line in within)
    assert all(line[1] is None for line in lines if line[0] != "unit_cadre")


def test_a_published_month_is_frozen(march, cadre_user_factory=None):
    """A late review and a late answer after publication change nothing in it."""
    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)
    before = list(RankingEntry.objects.values_list("name", "reviews", "response_rate", "score"))
    late = Review.objects.filter(
        cadre__name="孙悦", rating=1, local_date__lt=dt.date(2026, 4, 1)
    ).first()
    cadres_services.review_respond(review=late, responder=late.reviewer, message="迟到的答复")
    with at(dt.datetime(2026, 3, 20, 2, 0, tzinfo=dt.UTC)):
        cadres_services.review_create(
            cadre=march["cadres"]["邓伟"], reviewer=late.reviewer, rating=5
        )
    with pytest.raises(rankings_errors.MonthPublished):
        services.rankings_compile(month=MARCH)
    assert (
        list(RankingEntry.objects.values_list("name", "reviews", "response_rate", "score"))
        == before
    )
    ranking.refresh_from_db()
    assert selectors.ranking_month_verify(ranking=ranking)


def test_the_digest_chain_shows_tampering(march):
    """Each published month seals its entries and the previous month's digest."""
    services.rankings_compile(month=dt.date(2026, 2, 1))
    february = services.ranking_month_publish(month=dt.date(2026, 2, 1))
    services.rankings_compile(month=MARCH)
    ranking = services.ranking_month_publish(month=MARCH)
    assert february.previous_digest == ""
    assert ranking.previous_digest == february.digest
    assert len(ranking.digest) == 64 and ranking.digest != february.digest
    assert selectors.ranking_month_verify(ranking=ranking)

    RankingEntry.objects.filter(ranking=ranking, name="孙悦").update(score=Decimal("99.00"))
    assert not selectors.ranking_month_verify(ranking=ranking)
    RankingEntry.objects.filter(ranking=ranking, name="孙悦").update(score=Decimal("10.00"))
    assert selectors.ranking_month_verify(ranking=ranking)
    RankingMonth.objects.filter(pk=february.pk).update(digest="0" * 64)
    assert not selectors.ranking_month_verify(ranking=ranking)


def test_months_are_published_in_order_and_only_once_ended(db):
    today = local_today().replace(day=1)
    services.rankings_compile(month=today)
    with pytest.raises(rankings_errors.MonthNotEnded):
        services.ranking_month_publish(month=today)
    with pytest.raises(rankings_errors.MonthNotCompiled):
        services.ranking_month_publish(month=dt.date(2026, 1, 1))
    services.rankings_compile(month=dt.date(2026, 2, 1))
    services.rankings_compile(month=dt.date(2026, 1, 1))
    services.ranking_month_publish(month=dt.date(2026, 2, 1))
    with pytest.raises(rankings_errors.LaterMonthPublished):
        services.ranking_month_publish(month=dt.date(2026, 1, 1))
    with pytest.raises(rankings_errors.MonthPublished):
        services.ranking_month_publish(month=dt.date(2026, 2, 1))


# --- The API and the pages -------------------------------------------------------------


def test_the_api_shows_published_months_only(api, march):
    services.rankings_compile(month=MARCH)
    assert api.get("/api/v1/rankings").json()["results"] == []
    assert api.get("/api/v1/rankings/2026-03").status_code == 404
    services.ranking_month_publish(month=MARCH)

    months = api.get("/api/v1/rankings").json()["results"]
    assert [m["month"] for m in months] == ["2026-03"]
    body = api.get("/api/v1/rankings/2026-03").json()
    assert body["scope"] == "unit" and body["month"] == "2026-03"
    assert body["entries"][0] == {
        "rank": 1,
        "name": "甲局",
        "unit": {"id": march["units"]["甲局"].pk, "name": "甲局"},
        "cadre_id": None,
        "reviews": 34,
        "satisfaction_rate": "0.8235",
        "response_rate": "0.7500",
        "rejection_rate": "0.6667",
        "score": "65.72",
        "bottom": False,
        "excluded": {"colleague": 0, "appeal": 0, "fraud": 0},
        "verified_share": "0.0000",
    }
    assert body["verified_only"] is False
    cadres = api.get("/api/v1/rankings/2026-03?scope=cadre").json()["entries"]
    assert [e["name"] for e in cadres] == CADRE_ORDER
    unit_b = march["units"]["乙局"].pk
    within = api.get(f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_b}").json()
    assert [e["name"] for e in within["entries"]] == ["范丽", "金涛", "韩梅", "高峰"]
    assert within["unit"] == {"id": unit_b, "name": "乙局"}


def test_it_publishes_no_score_for_a_cadre_without_reviews(api, client, march):
    """邓伟 has no review in March: the API gives score null (rates as the formulas give
    them), the page a dash, and the line comes last in every scope it is in."""
    services.rankings_compile(month=MARCH)
    services.ranking_month_publish(month=MARCH)
    cadres = api.get("/api/v1/rankings/2026-03?scope=cadre").json()["entries"]
    assert cadres[-1]["name"] == "邓伟"
    assert (cadres[-1]["reviews"], cadres[-1]["score"], cadres[-1]["rank"]) == (0, None, None)
    assert cadres[-1]["response_rate"] == "1.0000"
    assert all(e["score"] is not None for e in cadres[:-1])
    unit_a = march["units"]["甲局"].pk
    within = api.get(f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_a}").json()["entries"]
    assert (within[-1]["name"], within[-1]["score"]) == ("邓伟", None)
    html = client.get(f"/leaderboard/2026-03/?unit={unit_a}").content.decode()
    row = html[html.index("邓伟") :]
    row = row[: row.index("</li>")]
    assert "40.00" not in row and '<span class="score">—</span>' in row


@pytest.mark.parametrize(
    "path, status",
    [
        ("/api/v1/rankings/2026-13", 404),
        ("/api/v1/rankings/abc", 404),
        ("/api/v1/rankings/2026-3", 404),
        ("/api/v1/rankings/1999-01", 404),
        ("/api/v1/rankings/2026-03?scope=everyone", 400),
        ("/api/v1/rankings/2026-03?scope=cadre&unit=abc", 400),
        ("/api/v1/rankings/2026-03?scope=cadre&unit=99999999999999999999", 400),
        ("/api/v1/rankings/2026-03?scope=unit&unit=1", 400),
        ("/api/v1/rankings/2026-03?scope=cadre&unit=424242", 404),
    ],
)
def test_bad_months_and_parameters_are_4xx(api, march, path, status):
    services.rankings_compile(month=MARCH)
    services.ranking_month_publish(month=MARCH)
    response = api.get(path)
    assert response.status_code == status
    assert response.json()["code"] == ("not_found" if status == 404 else "invalid")


def test_published_months_are_served_from_the_cache(api, march, django_assert_num_queries):
    services.rankings_compile(month=MARCH)
    services.ranking_month_publish(month=MARCH)
    first = api.get("/api/v1/rankings/2026-03?scope=cadre")
    assert "public" in first["Cache-Control"]
    with django_assert_num_queries(0):
        again = api.get("/api/v1/rankings/2026-03?scope=cadre")
    assert again.json() == first.json()


def test_the_leaderboard_pages_show_units_and_a_unit_s_cadres(client, march):
    """The page opens on the units (no cadre list); ?unit= shows that unit's cadres."""
    services.rankings_compile(month=MARCH)
    services.ranking_month_publish(month=MARCH)
    for url in ("/leaderboard/", "/leaderboard/2026-03/"):
        page = client.get(url)
        assert page.status_code == 200
        html = page.content.decode()
        assert "甲局" in html and "范丽" not in html
        assert RankingMonth.objects.get().digest in html
        assert 'class="bottom"' in html
        assert "/open/rankings/2026-03/v1.csv" in html
    assert client.get("/leaderboard/2026-02/").status_code == 404
    assert client.get("/leaderboard/2026-13/").status_code == 404
    unit_b = march["units"]["乙局"].pk
    html = client.get(f"/leaderboard/2026-03/?unit={unit_b}").content.decode()
    assert "范丽" in html and "马超" not in html
    assert html.index("范丽") < html.index('id="units"')


def test_the_leaderboard_without_any_published_month(client, db):
    assert client.get("/leaderboard/").status_code == 200


# --- The command and the exports ---------------------------------------------------------


def test_the_command_compiles_and_publishes(march, capsys):
    call_command("compile_rankings", "--month", "2026-03")
    assert RankingMonth.objects.get().published_at is None
    call_command("compile_rankings", "--month", "2026-03", "--publish")
    assert RankingMonth.objects.get().published_at is not None
    with pytest.raises(CommandError):
        call_command("compile_rankings", "--month", "2026-13")
    with pytest.raises(CommandError, match="month_published"):
        call_command("compile_rankings", "--month", "2026-03")
    this_month = local_today().strftime("%Y-%m")
    with pytest.raises(CommandError, match="month_not_ended"):
        call_command("compile_rankings", "--month", this_month, "--publish")


def test_the_exports_hold_every_entry(march):
    import io

    from openpyxl import load_workbook

    ranking = services.rankings_compile(month=MARCH)
    text = exports.rankings_csv([ranking]).decode("utf-8-sig")
    lines = text.strip().splitlines()
    assert len(lines) == 1 + 27
    assert "范丽" in text and "93.19" in text
    sheet = load_workbook(io.BytesIO(exports.rankings_xlsx([ranking]))).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 27
    assert any(row[4] == "范丽" and row[10] == pytest.approx(93.19) for row in rows)


# --- Two workers at once -----------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_compiles_at_once_leave_one_result(make_unit, make_cadre, make_user):
    """The month's row lock serialises concurrent compiles: one snapshot, no duplicates."""
    unit = make_unit()
    reviewer = make_user()
    cadres = [make_cadre(unit=unit) for _ in range(6)]
    for cadre in cadres:
        with at(dt.datetime(2026, 3, 5, 2, 0, tzinfo=dt.UTC)):
            cadres_services.review_create(cadre=cadre, reviewer=reviewer, rating=4)
    barrier = threading.Barrier(2)
    errors = []

    def compile_once():
        try:
            barrier.wait()
            services.rankings_compile(month=MARCH)
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=compile_once) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert RankingMonth.objects.count() == 1
    assert RankingEntry.objects.count() == 1 + 6
