"""Open data: the published months as files anyone can download and check, the Atom feed,
the verifier against the running server and against a tampered copy, and stall counts."""

import datetime as dt
import functools
import http.server
import json
import pathlib
import shutil
import subprocess
import sys
import threading
import urllib.request
import xml.etree.ElementTree as ET
from decimal import Decimal
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse

from cadres import services as cadres_services
from cadres.models import Cadre, Unit
from opendata import selectors as opendata_selectors
from rankings import selectors as rankings_selectors
from rankings import services, verify_chain
from rankings.models import RankingEntry
from stalls.models import Inspection, Registration, Stall, StallReport, StallStatusChange
from tests.stalls.conftest import id_number, make_site_for

ROOT = pathlib.Path(__file__).resolve().parents[2]
FEBRUARY, MARCH = dt.date(2026, 2, 1), dt.date(2026, 3, 1)
ATOM = "{http://www.w3.org/2005/Atom}"
# A Python without the project's environment where there is one (Debian's), as a reader has.
PLAIN_PYTHON = shutil.which("python3", path="/usr/bin") or sys.executable


def _publish_two_months(make_user):
    unit = Unit.objects.create(name="康巴什区文化和旅游局")
    other = Unit.objects.create(name="青春山街道办事处")
    cadres = [
        Cadre.objects.create(unit=u, name=name, employee_number=f"E{i:04d}")
        for i, (u, name) in enumerate(
            [(unit, "王丽娜"), (unit, "李娜"), (other, "孙悦"), (other, "邓伟")]
        )
    ]
    reviewers = [make_user() for _ in range(6)]
    for month in (FEBRUARY, MARCH):
        for index, reviewer in enumerate(reviewers):
            moment = dt.datetime(month.year, month.month, 3 + index, 2, 0, tzinfo=dt.UTC)
            for number, cadre in enumerate(cadres):
                with mock.patch("django.utils.timezone.now", return_value=moment):
                    cadres_services.review_create(
                        cadre=cadre, reviewer=reviewer, rating=1 + (index + number) % 5
                    )
        services.rankings_compile(month=month)
        services.ranking_month_publish(month=month)
    return cadres


@pytest.fixture
def published(db, make_user):
    return _publish_two_months(make_user)


@pytest.fixture
def published_live(transactional_db, make_user, live_server):
    _publish_two_months(make_user)
    return live_server.url


def test_it_lists_every_published_month_and_version_in_the_index(client, published):
    """index.json lists each month with version 1, its digest, previous digest and files."""
    response = client.get("/open/index.json")
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["licence"] == "CC BY 4.0"
    assert [m["month"] for m in body["months"]] == ["2026-02", "2026-03"]
    february, march = (m["versions"][0] for m in body["months"])
    assert march["version"] == 1
    assert march["previous_digest"] == february["digest"] and february["previous_digest"] == ""
    assert march["json"] == "rankings/2026-03/v1.json"
    assert march["csv"] == "rankings/2026-03/v1.csv"


def test_it_serves_a_version_as_json_and_csv_with_the_published_figures(client, published):
    """The files carry every entry of every scope, the digest and the previous digest."""
    document = client.get("/open/rankings/2026-03/v1.json").json()
    assert document["month"] == "2026-03" and document["version"] == 1
    scopes = {e["scope"] for e in document["entries"]}
    assert scopes == {"unit", "cadre", "unit_cadre"}
    assert len(document["entries"]) == 2 + 4 + 4
    first = next(e for e in document["entries"] if e["scope"] == "cadre")
    assert isinstance(first["score"], str) and isinstance(first["reviews"], int)
    rows = verify_chain.rows_from_json(document["entries"])
    assert (
        verify_chain.digest(previous=document["previous_digest"], month="2026-03", rows=rows)
        == document["digest"]
    )
    response = client.get("/open/rankings/2026-03/v1.csv")
    assert response["Content-Type"].startswith("text/csv")
    table = response.content.decode("utf-8")
    assert verify_chain.rows_from_csv(table) == rows
    assert "王丽娜" in table


def test_it_answers_conditional_gets_with_304(client, published):
    """ETag and Last-Modified are sent; a client holding either gets 304, still CORS-open."""
    for path in ("/open/rankings/2026-03/v1.json", "/open/index.json", "/open/feed.atom"):
        first = client.get(path)
        assert first.status_code == 200
        etag, modified = first["ETag"], first["Last-Modified"]
        again = client.get(path, HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304, path
        assert again["Access-Control-Allow-Origin"] == "*"
        assert client.get(path, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert (
        client.get("/open/rankings/2026-03/v1.csv")["ETag"]
        != client.get("/open/rankings/2026-03/v1.json")["ETag"]
    )


def test_it_answers_404_for_months_and_versions_not_published(client, published):
    """An unpublished month, a version that does not exist, or a bad month: 404."""
    for path in (
        "/open/rankings/2026-04/v1.json",
        "/open/rankings/2026-03/v2.json",
        "/open/rankings/2026-13/v1.csv",
    ):
        assert client.get(path).status_code == 404, path


def test_it_refuses_writes_to_the_open_files(published):
    """Open for GET only: a POST is 405, not a CSRF 403, even with the checks enforced."""
    client = Client(enforce_csrf_checks=True)
    for path in (
        "/open/index.json",
        "/open/datapackage.json",
        "/open/rankings/2026-03/v1.json",
        "/open/rankings/2026-03/v1.csv",
        "/open/stalls/2026-03.json",
        "/open/feed.atom",
        "/open/verify_chain.py",
    ):
        assert client.post(path).status_code == 405, path


def test_it_publishes_a_valid_atom_feed(client, published):
    """One entry per publication, newest first, each with id, title, updated and links."""
    response = client.get("/open/feed.atom")
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314 (our own server's feed)
    assert root.tag == f"{ATOM}feed"
    for required in ("id", "title", "updated"):
        assert root.find(f"{ATOM}{required}") is not None
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert entry.find(f"{ATOM}{required}").text
    assert "2026-03" in entries[0].find(f"{ATOM}title").text
    assert entries[0].find(f"{ATOM}link").get("href").endswith("/open/rankings/2026-03/v1.json")


def test_it_renders_the_open_page_in_chinese(client, published):
    """The page names the licence, the formulas, every month with its files and digests."""
    response = client.get("/open/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "开放数据" in page and "CC BY 4.0" in page and "威尔逊" in page
    assert 'href="rankings/2026-03/v1.csv"' in page
    assert 'href="rankings/2026-02/v1.json"' in page


def test_it_verifies_the_chain_of_the_running_server(published_live):
    """The verifier, with nothing but the standard library, finds the live chain intact."""
    assert verify_chain.verify(published_live) == []


def test_it_runs_as_a_plain_python_script_without_the_project(published_live, tmp_path):
    """Copied alone and run by an isolated python3, it exits 0 on a sound chain."""
    shutil.copy(ROOT / "rankings" / "verify_chain.py", tmp_path / "verify_chain.py")
    result = subprocess.run(
        [PLAIN_PYTHON, "-I", "verify_chain.py", published_live],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK 2" in result.stdout


def test_it_runs_from_a_folder_where_a_file_shadows_a_standard_module(published_live, tmp_path):
    """Copied into a folder that also holds a `selectors.py` (as the app's own folder does)
    and run there by a plain python3, whose path starts with that folder, it still exits 0:
    it takes its folder off the path before importing anything."""
    shutil.copy(ROOT / "rankings" / "verify_chain.py", tmp_path / "verify_chain.py")
    (tmp_path / "selectors.py").write_text("raise ImportError('shadowed the standard module')\n")
    result = subprocess.run(
        [PLAIN_PYTHON, "verify_chain.py", published_live],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK 2" in result.stdout


@pytest.mark.parametrize(
    "command",
    [["rankings/verify_chain.py"], ["-m", "rankings.verify_chain"], ["-m", "cadres.verify_chain"]],
)
def test_it_runs_from_the_checkout_as_a_file_or_a_module(published_live, command):
    """From the repository's root: the file itself (its folder holds rankings/selectors.py,
    which shadowed the standard `selectors` and crashed it before), the module, and the
    module's older name."""
    result = subprocess.run(
        [PLAIN_PYTHON, "-E", "-s", *command, published_live],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "OK 2" in result.stdout


def _mirror(base_url: str, into: pathlib.Path) -> None:
    """Download the open data as a static copy, the way a mirror would."""
    open_dir = into / "open"

    def save(relative: str) -> bytes:
        with urllib.request.urlopen(f"{base_url}/open/{relative}") as response:  # noqa: S310
            data = response.read()
        target = open_dir / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return data

    index = json.loads(save("index.json"))
    for month in index["months"]:
        for version in month["versions"]:
            save(version["json"])
            save(version["csv"])


@pytest.fixture
def serve_directory():
    servers = []

    def serve(directory: pathlib.Path) -> str:
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


def test_it_reports_a_changed_figure_in_a_tampered_copy(published_live, tmp_path, serve_directory):
    """A mirror that raises one cadre's score fails the check and the script exits 1."""
    _mirror(published_live, tmp_path)
    assert verify_chain.verify(serve_directory(tmp_path)) == []

    path = tmp_path / "open" / "rankings" / "2026-02" / "v1.json"
    document = json.loads(path.read_text())
    document["entries"][0]["score"] = "99.99"
    path.write_text(json.dumps(document, ensure_ascii=False))
    base = serve_directory(tmp_path)
    failures = verify_chain.verify(base)
    assert len(failures) == 1 and failures[0].startswith("2026-02 v1: JSON figures")
    result = subprocess.run(
        [PLAIN_PYTHON, "-E", "-s", "-m", "cadres.verify_chain", base],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1 and "FAIL 2026-02 v1" in result.stdout


def test_it_reports_a_broken_chain_and_a_changed_csv(published_live, tmp_path, serve_directory):
    """A month whose previous digest is rewritten breaks the chain; a CSV edit is caught."""
    _mirror(published_live, tmp_path)
    index_path = tmp_path / "open" / "index.json"
    march_path = tmp_path / "open" / "rankings" / "2026-03" / "v1.json"
    document = json.loads(march_path.read_text())
    document["previous_digest"] = "0" * 64
    march_path.write_text(json.dumps(document, ensure_ascii=False))
    index = json.loads(index_path.read_text())
    index["months"][1]["versions"][0]["previous_digest"] = "0" * 64
    index_path.write_text(json.dumps(index))
    csv_path = tmp_path / "open" / "rankings" / "2026-02" / "v1.csv"
    csv_path.write_text(csv_path.read_text(encoding="utf-8").replace("王丽娜", "王丽"))

    failures = verify_chain.verify(serve_directory(tmp_path))
    assert any(f.startswith("2026-02 v1: CSV figures") for f in failures)
    assert any("2026-03 v1: previous digest" in f for f in failures)
    assert any("2026-03 v1: JSON figures" in f for f in failures)


def test_it_reports_a_stored_entry_changed_on_the_server(published_live):
    """A figure changed in the database after publication no longer matches its digest."""
    RankingEntry.objects.filter(scope="cadre", name="孙悦").update(score=Decimal("99.00"))
    failures = verify_chain.verify(published_live)
    assert failures and all("JSON figures" in f or "CSV figures" in f for f in failures)


@pytest.fixture
def stall_month(make_user):
    """In March 2026 (Shanghai) at one site: 2 registrations, 3 inspections of which 2
    violations, 1 suspension, 1 report; one registration on 1 April 00:10 Shanghai."""
    unit = Unit.objects.create(name="城市管理综合执法局", kind="urban_management")
    site = make_site_for(unit, name="德荣早市")
    empty = make_site_for(unit, name="空便民点")
    officer = make_user()

    def registration(moment):
        return Registration.objects.create(
            site=site,
            vendor=make_user(),
            vendor_name="张三",
            id_number_encrypted=id_number(),
            goods_category="snacks",
            created_at=moment,
        )

    first = registration(dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC))
    registration(dt.datetime(2026, 3, 31, 15, 30, tzinfo=dt.UTC))  # 31 Mar 23:30 Shanghai
    registration(dt.datetime(2026, 3, 31, 16, 10, tzinfo=dt.UTC))  # 1 Apr 00:10 Shanghai
    stall = Stall.objects.create(registration=first, site=site, slot=1, license_no="L1")
    for result in ("pass", "violation", "violation"):
        Inspection.objects.create(
            stall=stall,
            officer=officer,
            result=result,
            inspected_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
        )
    StallStatusChange.objects.create(
        stall=stall,
        old_status="active",
        new_status="suspended",
        reason="三次违规",
        created_at=dt.datetime(2026, 3, 10, tzinfo=dt.UTC),
    )
    StallReport.objects.create(
        stall=stall,
        reporter=officer,
        category="other",
        created_at=dt.datetime(2026, 3, 11, tzinfo=dt.UTC),
    )
    return site, empty


def test_it_counts_stall_supervision_per_site_and_shanghai_month(api, stall_month):
    """Counts only, per site, months in Asia/Shanghai; no name or phone in the body."""
    site, empty = stall_month
    response = api.get("/api/v1/open/stalls", {"month": "2026-03"})
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    rows = {row["site_id"]: row for row in response.json()["sites"]}
    assert rows[site.pk] == {
        "month": "2026-03",
        "site_id": site.pk,
        "site_name": "德荣早市",
        "registrations": 2,
        "inspections": 3,
        "violations": 2,
        "suspensions": 1,
        "reports": 1,
    }
    assert rows[empty.pk]["registrations"] == 0
    assert "张三" not in response.content.decode()
    april = api.get("/api/v1/open/stalls", {"month": "2026-04"}).json()
    assert {r["site_id"]: r["registrations"] for r in april["sites"]}[site.pk] == 1


def test_it_serves_stall_counts_as_csv_json_and_on_the_page(client, stall_month):
    """The same counts as files and on /open/?stalls=YYYY-MM."""
    table = client.get("/open/stalls/2026-03.csv").content.decode("utf-8")
    assert "德荣早市,2,3,2,1,1" in table
    assert client.get("/open/stalls/2026-03.json").json()["sites"][0]["inspections"] == 3
    page = client.get("/open/", {"stalls": "2026-03"}).content.decode()
    assert "德荣早市" in page
    assert client.get("/open/stalls/9999-12.csv").status_code == 404
    assert client.get("/open/", {"stalls": "9999-12"}).status_code == 200


@pytest.mark.parametrize("month", [None, "", "2026-3", "2026-13", "abcd-ef", "9999-12"])
def test_it_refuses_a_bad_month_for_stall_counts(api, db, month):
    """400 with the error body naming `month`."""
    params = {} if month is None else {"month": month}
    response = api.get("/api/v1/open/stalls", params)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "month" in response.json()["fields"]


def test_it_serves_the_index_in_the_api(api, published):
    """GET /api/v1/open/rankings lists the same months and versions as index.json."""
    body = api.get("/api/v1/open/rankings").json()
    assert [m["month"] for m in body["months"]] == ["2026-02", "2026-03"]
    assert body == {**body, "licence": "CC BY 4.0"}
    assert reverse("open-feed") == "/open/feed.atom"


def test_it_describes_the_open_api_in_the_schema(api, db):
    """Both open endpoints are in the schema, the stalls one with its 400."""
    schema = api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    assert "/api/v1/open/rankings" in schema["paths"]
    assert "400" in schema["paths"]["/api/v1/open/stalls"]["get"]["responses"]


@pytest.fixture
def with_correction(monkeypatch):
    """Every published month gains a version 2 chained to its version 1 (what a correction
    of issue 11 will publish), computed as the server would."""
    original = opendata_selectors.month_versions

    def versions(*, ranking):
        found = original(ranking=ranking)
        if not found:
            return found
        first = found[0]
        rows = verify_chain.rows_from_json(
            rankings_selectors.ranking_digest_records(ranking=ranking)
        )
        second = opendata_selectors.Version(
            ranking=ranking,
            number=2,
            digest=verify_chain.digest(previous=first.digest, month=first.month, rows=rows),
            previous_digest=first.digest,
            published_at=first.published_at + dt.timedelta(days=3),
        )
        return [first, second]

    monkeypatch.setattr(opendata_selectors, "month_versions", versions)


def test_it_lists_and_verifies_several_versions_of_a_month(published_live, with_correction):
    """Version 2 of each month is listed, in the feed as a correction, and the verifier
    checks it follows version 1."""
    index = json.loads(urllib.request.urlopen(f"{published_live}/open/index.json").read())  # noqa: S310
    assert [[v["version"] for v in m["versions"]] for m in index["months"]] == [[1, 2], [1, 2]]
    with urllib.request.urlopen(f"{published_live}/open/feed.atom") as response:  # noqa: S310
        feed = ET.fromstring(response.read())  # noqa: S314 (our own server's feed)
    titles = [e.find(f"{ATOM}title").text for e in feed.findall(f"{ATOM}entry")]
    assert len(titles) == 4 and any("更正" in t for t in titles)
    assert verify_chain.verify(published_live) == []


def test_it_reports_a_correction_that_does_not_follow_its_version(
    published_live, with_correction, tmp_path, serve_directory
):
    """A version 2 whose previous digest is not version 1's breaks the chain."""
    _mirror(published_live, tmp_path)
    path = tmp_path / "open" / "rankings" / "2026-03" / "v2.json"
    document = json.loads(path.read_text())
    rows = verify_chain.rows_from_json(document["entries"])
    document["previous_digest"] = "f" * 64
    document["digest"] = verify_chain.digest(previous="f" * 64, month="2026-03", rows=rows)
    path.write_text(json.dumps(document, ensure_ascii=False))
    index_path = tmp_path / "open" / "index.json"
    index = json.loads(index_path.read_text())
    index["months"][1]["versions"][1] |= {
        "previous_digest": document["previous_digest"],
        "digest": document["digest"],
    }
    index_path.write_text(json.dumps(index))
    failures = verify_chain.verify(serve_directory(tmp_path))
    assert failures == [f"2026-03 v2: previous digest {'f' * 64} does not follow 2026-03 v1"]
