"""Publication day: a published month's page and API bodies are rendered once and then
served as stored bytes (rankings.publication): no SQL a hit, an ETag and 304s, a first
screen that stays small with 100 units and 5,000 cadres, the unit filter and the search,
scope=cadre in pages, and the database when Redis is down."""

import datetime as dt

import pytest

from cadres.models import Cadre, Unit
from rankings import services
from rankings.models import RankingMonth
from tests.redis_server import REDIS_SERVER

from . import test_rankings
from .test_rankings import CADRE_ORDER, MARCH

pytestmark = pytest.mark.django_db
march = test_rankings.march  # the hand-computed month, as a fixture here too

UNITS = 100
CADRES = 5_000


def publish(month=MARCH):
    services.rankings_compile(month=month)
    return services.ranking_month_publish(month=month)


@pytest.fixture
def district(db):
    """March 2026 published with 100 units and 5,000 cadres (names as long as real ones)."""
    units = Unit.objects.bulk_create(
        [Unit(name=f"鄂尔多斯市康巴什区第{i:03d}政务服务局") for i in range(1, UNITS + 1)]
    )
    Cadre.objects.bulk_create(
        [
            Cadre(
                unit=units[i % UNITS],
                name=f"干部{i:05d}",
                title="科员",
                employee_number=f"D{i:06d}",
            )
            for i in range(1, CADRES + 1)
        ],
        batch_size=1000,
    )
    return publish()


def test_it_serves_a_published_month_without_sql_once_stored(
    api, client, march, django_assert_num_queries
):
    """After the first hit, the page (plain, a unit, a search) and the API (each scope)
    answer with no SQL at all, and the same bytes."""
    publish()
    unit_b = march["units"]["乙局"].pk
    urls = [
        (client, "/leaderboard/"),
        (client, "/leaderboard/2026-03/"),
        (client, f"/leaderboard/?unit={unit_b}"),
        (client, "/leaderboard/2026-03/?q=%E7%99%BD"),
        (api, "/api/v1/rankings/2026-03"),
        (api, "/api/v1/rankings/2026-03?scope=cadre"),
        (api, "/api/v1/rankings/2026-03?scope=cadre&page_size=5"),
        (api, f"/api/v1/rankings/2026-03?scope=cadre&unit={unit_b}"),
    ]
    for who, url in urls:
        first = who.get(url)
        assert first.status_code == 200, url
        with django_assert_num_queries(0):
            again = who.get(url)
        assert again.status_code == 200 and again.content == first.content, url
        assert again["Cache-Control"] == "public, max-age=300", url


def test_it_answers_304_to_a_current_copy(api, client, march):
    """Stored bytes carry an ETag and Last-Modified (the publication); a client that has
    them gets 304 without a body, on the page and on the API."""
    ranking = publish()
    for who, url in ((client, "/leaderboard/2026-03/"), (api, "/api/v1/rankings/2026-03")):
        first = who.get(url)
        assert first["ETag"].startswith('"') and first["Last-Modified"]
        current = who.get(url, HTTP_IF_NONE_MATCH=first["ETag"])
        assert current.status_code == 304 and current.content == b""
        assert current["ETag"] == first["ETag"]
        since = who.get(url, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])
        assert since.status_code == 304
        changed = who.get(url, HTTP_IF_NONE_MATCH='"something-else"')
        assert changed.status_code == 200 and changed.content == first.content
    assert ranking.published_at
    # Times are Asia/Shanghai with their offset, as everywhere in the API.
    assert api.get("/api/v1/rankings/2026-03").json()["published_at"].endswith("+08:00")
    listed = api.get("/api/v1/rankings").json()["results"][0]
    assert listed["month"] == "2026-03" and listed["published_at"].endswith("+08:00")


def test_a_new_publication_renews_what_is_stored(
    api, client, march, django_capture_on_commit_callbacks
):
    """The latest month's page is stored; publishing the next month shows it at once
    (the publication bumps, on commit, the version the stored bytes were built under)."""
    with django_capture_on_commit_callbacks(execute=True):
        publish()
    march_page = client.get("/leaderboard/").content.decode()
    assert RankingMonth.objects.get(month=MARCH).digest in march_page
    with django_capture_on_commit_callbacks(execute=True):
        publish(dt.date(2026, 4, 1))
    html = client.get("/leaderboard/").content.decode()
    assert RankingMonth.objects.get(month=dt.date(2026, 4, 1)).digest in html


def test_the_first_screen_stays_small_with_5000_cadres(client, district):
    """100 units, 5,000 cadres: the default page lists every unit and no cadre, under
    100 kB; a unit's page lists its 50 cadres."""
    page = client.get("/leaderboard/")
    html = page.content.decode()
    assert len(page.content) < 100_000, len(page.content)
    assert html.count('href="?unit=') == UNITS
    assert '<span class="name">干部' not in html
    unit = Unit.objects.order_by("pk").first()
    html = client.get(f"/leaderboard/?unit={unit.pk}").content.decode()
    assert html.count('<span class="name">干部') == CADRES // UNITS


def test_scope_cadre_comes_in_pages_that_reach_every_entry_once(api, district):
    """Following `next` from the first page gives all 5,000 cadres once, in rank order,
    with the body of API.md around each page; `previous` leads back."""
    url = "/api/v1/rankings/2026-03?scope=cadre&page_size=100"
    whole = [
        e.cadre_id
        for e in district.entries.filter(scope="cadre").order_by("position").only("cadre_id")
    ]
    seen, pages = [], []
    while url:
        body = api.get(url).json()
        assert set(body) >= {"month", "published_at", "scope", "entries", "next", "previous"}
        assert body["scope"] == "cadre" and body["month"] == "2026-03"
        assert len(body["entries"]) == 100
        if pages:
            back = api.get(body["previous"]).json()["entries"]
            assert [e["cadre_id"] for e in back] == pages[-1]
        else:
            assert body["previous"] is None
        pages.append([e["cadre_id"] for e in body["entries"]])
        seen.extend(pages[-1])
        url = body["next"]
    assert seen == whole and len(seen) == CADRES
    assert len(pages) == CADRES // 100
    first = api.get("/api/v1/rankings/2026-03?scope=cadre").json()
    assert len(first["entries"]) == 20 and first["previous"] is None
    unit = Unit.objects.order_by("pk").first()
    mine = api.get(f"/api/v1/rankings/2026-03?scope=cadre&unit={unit.pk}").json()
    assert len(mine["entries"]) == CADRES // UNITS and mine["next"] is None


@pytest.mark.parametrize(
    "query",
    ["cursor=abc", "cursor=eD0x", "page_size=0", "page_size=101", "scope=unit&cursor=bz0w"],
)
def test_bad_pages_are_400(api, march, query):
    """A cursor that is not one of ours, a page size out of 1..100, or paging a whole
    list: 400 `invalid` naming the field."""
    publish()
    response = api.get(f"/api/v1/rankings/2026-03?scope=cadre&{query}")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"


def test_a_cursor_past_the_end_is_404(api, march):
    publish()
    response = api.get("/api/v1/rankings/2026-03?scope=cadre&cursor=bz05OTk5")  # o=9999
    assert response.status_code == 404


def test_the_search_box_finds_cadres_by_name(client, march):
    """?q= lists the month's cadres whose names contain it, in district order, with their
    unit; nothing found says so; an unknown unit is 404."""
    publish()
    html = client.get("/leaderboard/2026-03/", {"q": " 白 "}).content.decode()
    assert "白雪" in html and "范丽" not in html and 'value="白"' in html
    html = client.get("/leaderboard/2026-03/", {"q": "李"}).content.decode()
    assert "李娜" in html and "丙局" in html
    html = client.get("/leaderboard/2026-03/", {"q": "nobody", "unit": ""}).content.decode()
    assert "李娜" not in html and "nobody" in html
    assert client.get("/leaderboard/2026-03/?unit=424242").status_code == 404


def test_a_page_with_a_flash_message_is_private(client, make_user, march):
    """A signed-in user sent to the leaderboard with a flash message (a bad badge code)
    gets the page with the message, private; the next hit is the public page again."""
    publish()
    assert "public" in client.get("/leaderboard/")["Cache-Control"]
    client.force_login(make_user())
    cadre = march["cadres"]["白雪"]
    sent = client.post(f"/cadres/{cadre.pk}/review", {"token": "forged", "rating": "5"})
    assert sent.status_code == 302 and sent["Location"] == "/leaderboard/"
    page = client.get("/leaderboard/")
    html = page.content.decode()
    assert 'class="messages"' in html and "甲局" in html
    assert "private" in page["Cache-Control"] and "public" not in page["Cache-Control"]
    again = client.get("/leaderboard/")
    assert 'class="messages"' not in again.content.decode()


@pytest.mark.skipif(REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)")
def test_with_redis_down_it_renders_from_the_database(doomed_redis, api, client, march):
    """Redis killed after the bodies were stored: the page, each API scope and a page of
    scope=cadre answer 200 from the database, with the same bytes."""
    publish()
    urls = [
        (client, "/leaderboard/2026-03/"),
        (api, "/api/v1/rankings/2026-03"),
        (api, "/api/v1/rankings/2026-03?scope=cadre&page_size=5"),
    ]
    before = [who.get(url).content for who, url in urls]
    doomed_redis.kill()
    for (who, url), content in zip(urls, before, strict=True):
        response = who.get(url)
        assert response.status_code == 200, url
        assert response.content == content, url
    names = [e["name"] for e in api.get("/api/v1/rankings/2026-03?scope=cadre").json()["entries"]]
    assert names == CADRE_ORDER
