"""Issue 21, "Done when", end to end on PostgreSQL with a real Celery worker.

February and March are published (March on the 4th of April, its cutoff). After the
cutoff, cadres answer bad reviews, a resident records a verdict and residents add late
reviews; then an appeal reviewer upholds, through the API, an appeal on one of X's bad
reviews. The worker publishes the correction (version 2), which changes only X's
entries, X's unit's entry and the ranks and bottom flags that shift because of them;
its `changes` list exactly those. The chain verifies from the public API and with the
offline verifier run as a subprocess on the downloaded open-data files, and the bottom
report and X's history show the corrected streaks (X out of the bottom, its warning
talk withdrawn; Y in it).

The month, February and March alike (A scores from the formula of API.md):
unit 城区管理局: 8 cadres rated 5 five times (74.xx); W 5 x 3 and a bad one answered
(40.00, 6 reviews); Y 5 x 3 and two bad ones, one answered (25.00); X 5 x 3 and a bad
one unanswered (10.00, 6 reviews); Z 5 x 1 unanswered (10.00, 5 reviews).
unit 东区服务中心: Q rated 5 ten times; P 5 x 5 and a bad one unanswered (36.xx).
14 cadres ranked, the bottom 10 % is two: X and Z both months (X's warning talk in
March). Excluding X's bad review makes X 40.00 with 5 reviews: X passes P and Y, and
Y falls into the bottom.
"""

import datetime as dt
import functools
import http.server
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urljoin

import pytest
from django.db import connection

from accounts.roles import Role
from cadres import services
from cadres.models import Review
from core.timezones import LOCAL_TZ
from rankings import selectors, verify_chain
from rankings import services as rankings_services
from rankings.models import BottomWarning, RankingEntry, RankingMonth
from tests.conftest import next_phone
from tests.workers import start_worker, stop_worker

from . import test_corrections
from .conftest import at

ROOT = Path(__file__).resolve().parents[2]
PLAIN_PYTHON = shutil.which("python3", path="/usr/bin") or sys.executable

FEB, MARCH = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
# 01:00 on the 4th: every bad review's 72-hour answer window has closed (the cutoff).
PUBLISHED = {m: dt.datetime(2026, m.month + 1, 4, 1, 0, tzinfo=LOCAL_TZ) for m in (FEB, MARCH)}
AFTER_CUTOFF = dt.datetime(2026, 4, 5, 10, 0, tzinfo=LOCAL_TZ)
FILLERS = 8

# The correction task on a queue of this test's own, due 1 second after the exclusion.
correction_queue = test_corrections.correction_queue


def _review(cadre, make_user, moment, rating):
    with at(moment):
        return services.review_create(
            cadre=cadre, reviewer=make_user(phone=next_phone()), rating=rating
        )


def _month(month, people, make_user) -> dict:
    """The month's reviews (see the module's docstring); returns the bad ones by name."""
    day = functools.partial(dt.datetime, month.year, month.month, tzinfo=LOCAL_TZ)
    answerer = make_user(phone=next_phone())
    bad: dict[str, list[Review]] = {}

    def give(name, rating, times, *, answered=0, on=2):
        for n in range(times):
            review = _review(people[name], make_user, day(on + n, 10), rating)
            if rating <= 2:
                bad.setdefault(name, []).append(review)
                if n < answered:
                    with at(day(on + n, 12)):
                        services.review_respond(review=review, responder=answerer, message="已处理")

    for n in range(FILLERS):
        give(f"F{n}", 5, 5)
    give("Q", 5, 10)
    give("P", 5, 5)
    give("P", 1, 1, on=20)
    give("W", 3, 5)
    give("W", 2, 1, answered=1, on=20)
    give("Y", 3, 5)
    give("Y", 1, 2, answered=1, on=20)
    give("X", 3, 5)
    # March's is the review X appeals on 5 April (within 7 days of it).
    give("X", 1, 1, on=28 if month == FEB else 30)
    give("Z", 1, 5, on=20)
    return bad


@pytest.fixture
def district(make_unit, make_cadre, make_user):
    west = make_unit("城区管理局")
    east = make_unit("东区服务中心")
    people = {f"F{n}": make_cadre(unit=west, name=f"好干部{n}") for n in range(FILLERS)}
    people |= {name: make_cadre(unit=west, name=name) for name in ("W", "X", "Y", "Z")}
    people |= {name: make_cadre(unit=east, name=name) for name in ("P", "Q")}
    bad = {}
    for month in (FEB, MARCH):
        bad[month] = _month(month, people, make_user)
        with at(PUBLISHED[month]):
            rankings_services.rankings_compile(month=month)
            rankings_services.ranking_month_publish(month=month)
    return {"west": west, "east": east, "people": people, "bad": bad}


def _entries(ranking) -> dict[tuple, tuple]:
    """Every published line of a version: (scope, who) -> its figures (the first 8),
    then its rank and bottom flag, then (a cadre) its rank and flag within its unit."""
    return {
        (e.scope, e.cadre_id or e.unit_id): (
            e.reviews,
            e.satisfied,
            e.bad,
            e.bad_answered,
            e.verdicts,
            e.rejected,
            e.score,
            e.excluded_appeal,
            e.rank,
            e.bottom,
            e.unit_rank,
            e.unit_bottom,
        )
        for e in RankingEntry.objects.filter(ranking=ranking)
    }


def _download_open_data(client, folder: Path) -> None:
    """index.json and every version's JSON and CSV, as a reader would keep them."""
    index = client.get("/open/index.json")
    assert index.status_code == 200
    (folder / "open").mkdir(parents=True)
    (folder / "open" / "index.json").write_bytes(index.content)
    for month in index.json()["months"]:
        for version in month["versions"]:
            for fmt in ("json", "csv"):
                path = urljoin("/open/", version[fmt])  # relative to /open/
                response = client.get(path)
                assert response.status_code == 200, path
                target = folder / path.lstrip("/")
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(response.content)


def _verify_offline(folder: Path) -> subprocess.CompletedProcess:
    """rankings/verify_chain.py, copied alone and run by a plain python3, on the files
    served from `folder` by a static file server (the verifier reads http(s) only)."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(folder))

    class Quiet(handler.func):  # type: ignore[name-defined,misc]
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    tool = folder / "tool"
    tool.mkdir()
    shutil.copy(ROOT / "rankings" / "verify_chain.py", tool / "verify_chain.py")
    try:
        return subprocess.run(
            [PLAIN_PYTHON, "-I", "verify_chain.py", f"http://127.0.0.1:{server.server_port}"],
            cwd=tool,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_an_upheld_appeal_corrects_only_what_it_excluded(
    district, api, client, client_for, make_user, correction_queue, tmp_path
):
    people, bad = district["people"], district["bad"][MARCH]
    west, east = district["west"], district["east"]
    x, y, z, p = (people[name] for name in ("X", "Y", "Z", "P"))
    first = RankingMonth.objects.get(month=MARCH, version=1)
    before = _entries(first)
    # As planned: X and Z at the bottom in March, X for the second month running.
    bottom = {k for k, v in before.items() if k[0] == RankingEntry.Scope.CADRE and v[9]}
    assert bottom == {("cadre", x.pk), ("cadre", z.pk)}
    assert before[("cadre", x.pk)][6] == before[("cadre", z.pk)][6] == 10
    x_talk = BottomWarning.objects.get(ranking=first, cadre=x)
    assert (x_talk.kind, x_talk.streak, x_talk.state) == ("talk", 2, "open")

    # After the cutoff: answers, a verdict and late reviews, none of which March counts.
    with at(AFTER_CUTOFF):
        answerer = make_user(phone=next_phone())
        for name in ("Z", "P", "Y"):
            for review in bad[name]:
                if review.responded_at is None:
                    services.review_respond(review=review, responder=answerer, message="已整改")
        answered = Review.objects.get(pk=bad["Y"][0].pk)
        services.review_verdict(review=answered, reviewer=answered.reviewer, accepted=False)
    for name in ("Z", "Y", "P", "F0"):
        _review(people[name], make_user, AFTER_CUTOFF, 5)

    # X appeals its bad review of 27 March; an appeal reviewer of no party upholds it.
    appealed = bad["X"][0]
    cadre_user = make_user(Role.CADRE, phone=next_phone(), cadre=x.pk)
    with at(AFTER_CUTOFF):
        created = client_for(cadre_user).post(
            f"/api/v1/reviews/{appealed.pk}/appeal",
            {"reason": "评价人当天并未来窗口办理业务，与事实不符。"},
            format="json",
        )
    assert created.status_code == 201, created.content
    worker = start_worker(correction_queue)
    try:
        reviewer = client_for(make_user(Role.APPEAL_REVIEWER, phone=next_phone()))
        with at(AFTER_CUTOFF):
            decided = reviewer.post(
                f"/api/v1/appeals/{created.json()['id']}/decide",
                {"upheld": True, "reason": "核实监控，评价人当天未到场。"},
                format="json",
            )
        assert decided.status_code == 200, decided.content
        assert decided.json()["outcome"] == "upheld"
        for _ in range(900):
            if RankingMonth.objects.filter(month=MARCH, version=2).exists():
                break
            time.sleep(0.1)
        time.sleep(1.5)  # any second run of the task (there is none) would have run by now
    except Exception:
        print(stop_worker(worker))
        raise
    output = stop_worker(worker)
    assert "publish_correction" in output, output
    versions = list(RankingMonth.objects.filter(month=MARCH).order_by("version"))
    assert [(v.version, v.excluded_reviews) for v in versions] == [(1, 0), (2, 1)], output
    second = versions[1]
    connection.close()  # the worker's rows, read afresh

    # Only X, its unit and the ranks that shift because of them changed.
    after = _entries(second)
    assert after.keys() == before.keys()
    moved = {key for key in before if before[key] != after[key]}
    figures_moved = {key for key in moved if before[key][:8] != after[key][:8]}
    assert figures_moved == {("cadre", x.pk), ("unit", west.pk)}
    assert after[("cadre", x.pk)][:8] == (5, 0, 0, 0, 0, 0, 40, 1)
    # X passes P and Y in the district, Y in its unit; Y falls into the bottom of both.
    assert moved - figures_moved == {("cadre", p.pk), ("cadre", y.pk)}
    ranks = {
        "X": ((13, True, 11, True), (11, False, 10, False)),
        "P": ((11, False, 2, True), (12, False, 2, True)),
        "Y": ((12, False, 10, False), (13, True, 11, True)),
    }
    for name, (old, new) in ranks.items():
        key = ("cadre", people[name].pk)
        assert (before[key][8:], after[key][8:]) == (old, new), name
    assert after[("cadre", z.pk)] == before[("cadre", z.pk)]
    assert after[("unit", east.pk)] == before[("unit", east.pk)]

    # Its diff lists exactly those, from the public API, scope by scope.
    def changes(scope, **params):
        query = "&".join(f"{k}={v}" for k, v in {"scope": scope, **params}.items())
        body = api.get(f"/api/v1/rankings/2026-03?{query}&version=2").json()
        return {(c["name"], c["kind"]) for c in body["changes"]}

    assert changes("cadre") == {("X", "changed"), ("P", "rank_only"), ("Y", "rank_only")}
    assert changes("cadre", unit=west.pk) == {("X", "changed"), ("Y", "rank_only")}
    assert changes("cadre", unit=east.pk) == set()
    assert changes("unit") == {("城区管理局", "changed")}
    x_change = next(
        c
        for c in api.get("/api/v1/rankings/2026-03?scope=cadre&version=2").json()["changes"]
        if c["name"] == "X"
    )
    assert (x_change["old"]["reviews"], x_change["new"]["reviews"]) == (6, 5)
    assert (x_change["old"]["bottom"], x_change["new"]["bottom"]) == (True, False)
    assert x_change["new"]["excluded"] == {"colleague": 0, "appeal": 1, "fraud": 0}

    # The chain verifies from the public API: each digest recomputes from the published
    # open-data figures, and version 2 follows version 1, which follows February.
    listed = api.get("/api/v1/rankings/2026-03?scope=cadre").json()["versions"]
    feb = api.get("/api/v1/rankings/2026-02?scope=cadre").json()
    assert [v["version"] for v in listed] == [1, 2]
    assert listed[0]["previous_digest"] == feb["digest"]
    assert listed[1]["previous_digest"] == listed[0]["digest"]
    for version in listed:
        document = client.get(f"/open/rankings/2026-03/v{version['version']}.json").json()
        rows = verify_chain.rows_from_json(document["entries"])
        previous = version["previous_digest"]
        computed = verify_chain.digest(previous=previous, month="2026-03", rows=rows)
        assert computed == version["digest"] == document["digest"]
    assert all(selectors.ranking_month_verify(ranking=v) for v in versions)
    # ...and with the offline verifier, on the downloaded files.
    _download_open_data(client, tmp_path / "site")
    result = _verify_offline(tmp_path / "site")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK 3 publications, chain intact" in result.stdout

    # The bottom report and the history read version 2: X is out, its talk withdrawn by
    # version 2; Y is in, for its first month; Z still two months running.
    report = selectors.bottom_report(ranking=first)
    assert report.ranking.version == 2
    lines = {(line.entry.scope, line.entry.name): line.months for line in report.lines}
    assert {k: v for k, v in lines.items() if k[0] == "cadre"} == {
        ("cadre", "Y"): 1,
        ("cadre", "Z"): 2,
    }
    x_talk.refresh_from_db()
    assert (x_talk.state, x_talk.withdrawn_by_id) == ("withdrawn", second.pk)
    assert x.pk not in {w.cadre_id for w in report.warnings}
    assert z.pk in {w.cadre_id for w in report.warnings}

    def history(cadre) -> dict:
        response = api.get(f"/api/v1/cadres/{cadre.pk}/history")
        assert response.status_code == 200
        return {m["month"]: (m["rank"], m["bottom"]) for m in response.json()["months"]}

    assert history(x)["2026-03"] == (11, False) and history(x)["2026-02"][1] is True
    assert history(y)["2026-03"] == (13, True)
