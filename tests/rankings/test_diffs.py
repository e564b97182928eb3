"""A correction carries its changes against the version it replaces: the entries whose
figures changed, and those whose rank moved only because another did (issue 21, item 2);
the API, the page, the open data and the Atom feed show them; version 1 has none."""

import datetime as dt
import importlib
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.test import Client

from cadres import services
from cadres.models import Exclusion, Unit
from core.timezones import LOCAL_TZ
from rankings import diffs, selectors
from rankings import services as rankings_services
from rankings.models import RankingEntry, RankingMonth

from .conftest import at

MARCH = dt.date(2026, 3, 1)
ATOM = "{http://www.w3.org/2005/Atom}"


def _reviews(cadre, make_user, *, good: int, bad: int):
    for n in range(good):
        with at(dt.datetime(2026, 3, 1 + n, 10, 0, tzinfo=LOCAL_TZ)):
            services.review_create(cadre=cadre, reviewer=make_user(), rating=5)
    made = []
    for _ in range(bad):
        with at(dt.datetime(2026, 3, 30, 10, 0, tzinfo=LOCAL_TZ)):
            made.append(services.review_create(cadre=cadre, reviewer=make_user(), rating=1))
    return made


@pytest.fixture
def corrected(make_user, make_cadre):
    """March, two units. 甲 has 5 good reviews and 1 bad, unanswered (rank 4 of 5 across
    the district, 3 of 3 in 甲局); excluding its bad review after an appeal lifts it above
    乙 (3 -> 4 across the district, 2 -> 3 in 甲局), and nobody else moves. Returns the
    cadres by name, the units, and versions 1 and 2."""
    unit_a = Unit.objects.create(name="甲局")
    unit_b = Unit.objects.create(name="乙局")
    cadres = {
        name: make_cadre(unit=unit, name=name)
        for name, unit in (
            ("甲", unit_a),
            ("乙", unit_a),
            ("丙", unit_a),
            ("丁", unit_b),
            ("戊", unit_b),
        )
    }
    (bad,) = _reviews(cadres["甲"], make_user, good=5, bad=1)
    _reviews(cadres["乙"], make_user, good=6, bad=1)
    _reviews(cadres["丙"], make_user, good=7, bad=0)
    _reviews(cadres["丁"], make_user, good=8, bad=0)
    _reviews(cadres["戊"], make_user, good=5, bad=2)
    with at(dt.datetime(2026, 4, 4, 1, 0, tzinfo=LOCAL_TZ)):
        rankings_services.rankings_compile(month=MARCH)
        first = rankings_services.ranking_month_publish(month=MARCH)
    with at(dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)):
        services.review_exclude(review_id=bad.pk, reason=Exclusion.APPEAL)
        # In a transactional test without Redis, the correction the exclusion schedules
        # ran eagerly at its COMMIT (then this call finds nothing new to publish).
        rankings_services.ranking_month_correct(month=MARCH)
    second = RankingMonth.objects.get(month=MARCH, version=2)
    assert not RankingMonth.objects.filter(month=MARCH, version__gt=2).exists()
    return cadres, (unit_a, unit_b), first, second


def _summary(changes):
    """(scope, kind, name) of each change, as a set."""
    return {(c.scope, c.kind, c.name) for c in changes}


@pytest.mark.django_db
def test_a_correction_lists_exactly_the_cadre_its_unit_and_the_rank_only_shifts(corrected):
    cadres, (unit_a, _unit_b), first, second = corrected
    assert first.changes == []
    changes = diffs.stored(second)
    assert _summary(changes) == {
        ("unit", "changed", "甲局"),
        ("cadre", "changed", "甲"),
        ("unit_cadre", "changed", "甲"),
        ("cadre", "rank_only", "乙"),
        ("unit_cadre", "rank_only", "乙"),
    }
    # Computed independently: every line whose published values differ between versions.
    old = {(e.scope, e.cadre_id or e.unit_id): e for e in selectors.ranking_lines(ranking=first)}
    new = {(e.scope, e.cadre_id or e.unit_id): e for e in selectors.ranking_lines(ranking=second)}
    assert old.keys() == new.keys()
    moved = {
        (e.scope, e.name)
        for key, e in new.items()
        if diffs.Side.of(e) != diffs.Side.of(old[key]) or e.name != old[key].name
    }
    assert moved == {(c.scope, c.name) for c in changes}

    district = next(c for c in changes if (c.scope, c.name) == ("cadre", "甲"))
    assert (district.unit_id, district.unit_name, district.cadre_id) == (
        unit_a.pk,
        "甲局",
        cadres["甲"].pk,
    )
    assert (district.old.rank, district.new.rank) == (4, 3)
    assert (district.old.reviews, district.new.reviews) == (6, 5)
    assert (district.old.bad, district.new.bad) == (1, 0)
    assert (district.old.satisfied, district.new.satisfied) == (5, 5)
    assert district.old.excluded == {"colleague": 0, "appeal": 0, "fraud": 0}
    assert district.new.excluded == {"colleague": 0, "appeal": 1, "fraud": 0}
    assert Decimal(district.new.score) > Decimal(district.old.score)
    within = next(c for c in changes if (c.scope, c.name) == ("unit_cadre", "甲"))
    assert (within.old.rank, within.new.rank) == (3, 2)
    shifted = next(c for c in changes if (c.scope, c.name) == ("cadre", "乙"))
    assert (shifted.old.rank, shifted.new.rank) == (3, 4)
    assert shifted.old.figures() == shifted.new.figures()
    assert diffs.excluded_by_ground(changes) == {"colleague": 0, "appeal": 1, "fraud": 0}


def test_an_entry_added_or_dropped_is_a_change():
    """Lines only in one version: changed, with the other side null; identical: none."""

    def line(cadre_id, rank, reviews=6):
        return RankingEntry(
            scope="cadre",
            unit_id=1,
            cadre_id=cadre_id,
            name=f"c{cadre_id}",
            unit_name="u",
            position=rank,
            rank=rank,
            reviews=reviews,
            satisfied=reviews,
            bad=0,
            bad_answered=0,
            verdicts=0,
            rejected=0,
            score=Decimal("70.00"),
        )

    changes = diffs.compute(old=[line(1, 1), line(2, 2)], new=[line(1, 1), line(3, 2)])
    assert [(c.name, c.kind, c.old is None, c.new is None) for c in changes] == [
        ("c3", "changed", True, False),
        ("c2", "changed", False, True),
    ]
    assert diffs.compute(old=[line(1, 1)], new=[line(1, 1)]) == []
    assert [c.kind for c in diffs.compute(old=[line(1, 1)], new=[line(1, 2)])] == ["rank_only"]
    round_trip = [diffs.Change.from_json(c.to_json()) for c in changes]
    assert round_trip == changes


@pytest.mark.django_db
def test_the_api_shows_each_scopes_changes(api, corrected):
    cadres, (unit_a, unit_b), _first, _second = corrected
    body = api.get("/api/v1/rankings/2026-03?scope=cadre&version=2").json()
    assert [(c["name"], c["kind"]) for c in body["changes"]] == [
        ("甲", "changed"),
        ("乙", "rank_only"),
    ]
    change = body["changes"][0]
    assert set(change) == {"kind", "name", "unit", "cadre_id", "old", "new"}
    assert change["unit"] == {"id": unit_a.pk, "name": "甲局"}
    assert change["cadre_id"] == cadres["甲"].pk
    assert (change["old"]["rank"], change["new"]["rank"]) == (4, 3)
    assert (change["old"]["reviews"], change["new"]["reviews"]) == (6, 5)
    assert change["new"]["excluded"] == {"colleague": 0, "appeal": 1, "fraud": 0}
    assert set(change["new"]) == {
        "rank",
        "score",
        "bottom",
        "reviews",
        "satisfied",
        "bad",
        "bad_answered",
        "verdicts",
        "rejected",
        "verified",
        "excluded",
    }
    assert isinstance(change["new"]["score"], str) and change["new"]["bottom"] is False
    # The latest version without ?version= is version 2, with the same changes.
    assert api.get("/api/v1/rankings/2026-03?scope=cadre").json()["changes"] == body["changes"]
    units = api.get("/api/v1/rankings/2026-03?scope=unit&version=2").json()["changes"]
    assert [(c["name"], c["kind"]) for c in units] == [("甲局", "changed")]
    own = api.get(f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_a.pk}&version=2").json()
    assert [(c["name"], c["kind"], c["new"]["rank"]) for c in own["changes"]] == [
        ("甲", "changed", 2),
        ("乙", "rank_only", 3),
    ]
    other = api.get(f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_b.pk}&version=2").json()
    assert other["changes"] == []
    # Paged, every page carries the scope's changes.
    paged = api.get("/api/v1/rankings/2026-03?scope=cadre&page_size=2&version=2").json()
    assert paged["changes"] == body["changes"]
    for scope in ("unit", "cadre"):
        first = api.get(f"/api/v1/rankings/2026-03?scope={scope}&version=1").json()
        assert first["changes"] == []


@pytest.mark.django_db
def test_the_schema_describes_the_changes(api):
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    components = schema["components"]["schemas"]
    month = components["RankingMonthOutput"]
    assert "changes" in month["properties"] and "changes" in month["required"]
    change = components["RankingChange"]["properties"]
    kinds = components["RankingChangeKindEnum"]["enum"]
    assert change["kind"]["allOf"][0]["$ref"].endswith("/RankingChangeKindEnum")
    assert kinds == ["changed", "rank_only"]
    assert change["old"]["nullable"] is True and change["new"]["nullable"] is True
    side = components["RankingChangeSide"]["properties"]
    assert {"rank", "score", "bottom", "reviews", "bad_answered", "excluded"} <= set(side)


@pytest.mark.django_db
def test_the_page_lists_the_changes_in_chinese(client, corrected):
    html = client.get("/leaderboard/2026-03/").content.decode()
    assert 'id="changes"' in html and "第 2 版的变更" in html
    assert "自上一版以来排除的评价（按原因）: 申诉 1 · 虚假评价 0 · 同事 0" in html
    changed = html.split('<ul class="changes">')[1].split("</ul>")[0]
    assert changed.count('class="change changed"') == 3
    assert "甲" in changed and "评价数 6 → 5" in changed and "名次 4 → 3" in changed
    assert "乙" not in changed.replace("乙局", "")
    assert "2 个条目仅因其他条目变动而名次变化" in html
    moved = html.split('<details class="rank-only">')[1].split("</details>")[0]
    assert moved.count('class="change rank_only"') == 2 and "名次 3 → 4" in moved


@pytest.mark.django_db
def test_the_open_data_and_the_feed_carry_the_changes(client, corrected):
    _cadres, _units, first, second = corrected
    v1 = client.get("/open/rankings/2026-03/v1.json").json()
    assert v1["changes"] == []
    assert v1["excluded_by_ground"] == {"colleague": 0, "appeal": 0, "fraud": 0}
    v2 = client.get("/open/rankings/2026-03/v2.json").json()
    assert v2["changes"] == second.changes
    assert {(c["scope"], c["kind"], c["name"]) for c in v2["changes"]} == _summary(
        diffs.stored(second)
    )
    assert v2["excluded_by_ground"] == {"colleague": 0, "appeal": 1, "fraud": 0}
    # Never who wrote a review: the changes hold counts and the entry's own names only.
    assert "reviewer" not in str(v2["changes"])

    feed = ET.fromstring(client.get("/open/feed.atom").content)  # noqa: S314 (our own feed)
    entries = {
        e.find(f"{ATOM}title").text: e.find(f"{ATOM}summary").text
        for e in feed.findall(f"{ATOM}entry")
    }
    correction = next(text for title, text in entries.items() if "第 2 版" in title)
    assert "申诉 1 条，虚假评价 0 条，同事 0 条" in correction
    assert "全区干部 · 甲: " in correction and "名次 4 → 3" in correction
    assert "单位内干部 · 甲: " in correction and "全区单位 · 甲局: " in correction
    assert "2 个条目仅因其他条目变动而名次变化。" in correction
    original = next(text for title, text in entries.items() if "第 2 版" not in title)
    assert first.digest in original and "申诉" not in original
    assert RankingMonth.objects.count() == 2


def test_the_changes_fit_a_390_px_phone(browser_page, live_server, corrected):
    """At phone width the page does not scroll sideways, the rank-only entries open from
    their summary, and every listed change lies inside the screen."""
    page = browser_page
    assert page.viewport_size["width"] == 390
    page.goto(f"{live_server.url}/leaderboard/2026-03/")
    assert page.locator("#changes").is_visible()
    page.locator("details.rank-only summary").click()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    items = page.locator(".correction li.change")
    assert items.count() == 5
    for n in range(items.count()):
        box = items.nth(n).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 390, box


@pytest.mark.django_db
def test_the_migration_gives_earlier_corrections_their_changes(corrected):
    """A correction published before versions carried changes gets the same list from
    the migration as ranking_month_correct stores."""
    _cadres, _units, first, second = corrected
    migration = importlib.import_module("rankings.migrations.0003_diffs")
    RankingMonth.objects.filter(pk=second.pk).update(changes=[])
    # The models as the migration sees them (historical), not the live ones.
    state = MigrationLoader(connection).project_state(("rankings", "0003_diffs"))
    migration.corrections_changes(state.apps, None)
    second_again = RankingMonth.objects.get(pk=second.pk)
    assert second_again.changes == second.changes and len(second.changes) == 5
    assert RankingMonth.objects.get(pk=first.pk).changes == []


@pytest.mark.django_db
def test_the_admin_shows_the_changes_counted_and_never_edits_them(district_admin, corrected):
    _cadres, _units, _first, second = corrected
    client = Client()
    client.force_login(district_admin)
    page = client.get(f"/admin/rankings/rankingmonth/{second.pk}/change/").content.decode()
    assert "3 条变化，2 条仅名次变化" in page
    assert 'name="changes"' not in page
