"""DATABASE_REPLICA_URL: the public rankings and stall reads go to the `replica` alias.

The replica here is the test database itself (what settings' TEST MIRROR does when the
variable is set); the test asserts the routing: the public reads are captured on the
replica's connection and none of them on the primary's.
"""

import copy
import datetime as dt

import pytest
from django.core.cache import cache
from django.db import connections
from django.test.utils import CaptureQueriesContext

from core.routers import read_database
from rankings import services


@pytest.fixture
def replica(transactional_db):
    """A `replica` alias on the primary's (committed) test database, then gone (or the
    configured one, when DATABASE_REPLICA_URL is set: it mirrors the primary in tests)."""
    added = "replica" not in connections.settings
    if added:
        connections.settings["replica"] = copy.deepcopy(connections["default"].settings_dict)
    connection = connections["replica"]
    # Connected here: the test case refuses to open aliases it was not set up with.
    connection.connect()
    yield connection
    connection.close()
    if added:
        del connections["replica"]
        del connections.settings["replica"]


@pytest.mark.postgres
def test_it_reads_public_rankings_and_stalls_on_the_replica(
    replica, api, make_unit, make_cadre, make_user
):
    """Published months, their entries, the site list and a stall's public view are read
    on the replica; the primary sees none of those reads."""
    assert read_database() == "replica"
    unit = make_unit("甲局")
    make_cadre(unit, "安红")
    services.rankings_compile(month=dt.date(2026, 3, 1))
    services.ranking_month_publish(month=dt.date(2026, 3, 1))
    cache.clear()
    with (
        CaptureQueriesContext(connections["default"]) as primary,
        CaptureQueriesContext(replica) as on_replica,
    ):
        for path in (
            "/api/v1/rankings",
            "/api/v1/rankings/2026-03?scope=cadre",
            f"/api/v1/rankings/2026-03?scope=cadre&unit={unit.pk}",
            "/api/v1/stalls/sites",
        ):
            assert api.get(path).status_code == 200, path
        html = api.get(f"/leaderboard/?unit={unit.pk}").content.decode()
        assert "安红" in api.get("/leaderboard/?q=%E5%AE%89").content.decode()
    assert "安红" in html
    public = ("cadres_rankingmonth", "cadres_rankingentry", "stalls_site")
    read_there = " ".join(q["sql"] for q in on_replica.captured_queries)
    assert all(table in read_there for table in public)
    assert not [q for q in primary.captured_queries if any(t in q["sql"] for t in public)]
