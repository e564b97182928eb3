"""Open data for machines: one time rule (Asia/Shanghai with its offset), the data package
that `frictionless validate` accepts with every file it lists, the Atom feed's author and
enclosure sizes, and the verifier served at /open/verify_chain.py, run as downloaded."""

import datetime as dt
import json
import pathlib
import subprocess
import sys
import urllib.request
import xml.etree.ElementTree as ET

import pytest

from cadres.models import Unit
from stalls.models import Registration
from tests.opendata.test_open import ATOM, PLAIN_PYTHON, _publish_two_months
from tests.stalls.conftest import id_number, make_site_for

FRICTIONLESS = pathlib.Path(sys.executable).with_name("frictionless")


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:  # noqa: S310 (the live test server)
        return response.read()


def _stalls_in_march(make_user) -> None:
    unit = Unit.objects.create(name="城市管理综合执法局", kind="urban_management")
    site = make_site_for(unit, name="德荣早市")
    Registration.objects.create(
        site=site,
        vendor=make_user(),
        vendor_name="张三",
        id_number_encrypted=id_number(),
        goods_category="snacks",
        created_at=dt.datetime(2026, 3, 2, 2, tzinfo=dt.UTC),
    )


@pytest.fixture
def open_live(transactional_db, make_user, live_server):
    _publish_two_months(make_user)
    _stalls_in_march(make_user)
    return live_server.url


@pytest.fixture
def published(db, make_user):
    return _publish_two_months(make_user)


def test_every_time_is_shanghai_time_with_its_offset(client, api, published):
    """index.json, the month files and /api/v1/open/rankings write +08:00, as the API does;
    no document has a bare top-level `fields` list (frictionless reads it as a schema)."""
    index = client.get("/open/index.json").json()
    document = client.get("/open/rankings/2026-03/v1.json").json()
    in_api = api.get("/api/v1/open/rankings").json()
    stamps = [v["published_at"] for m in index["months"] for v in m["versions"]]
    stamps += [document["published_at"]]
    stamps += [v["published_at"] for m in in_api["months"] for v in m["versions"]]
    assert stamps and all(stamp.endswith("+08:00") for stamp in stamps), stamps
    for body in (index, document, in_api):
        assert "fields" not in body
    assert document["entry_fields"][:2] == ["scope", "scope_unit_id"]
    assert in_api["entry_fields"] == index["entry_fields"]


def test_the_stall_counts_are_flat_rows_in_json_as_in_csv(client, db, make_user):
    """The stalls JSON has the CSV's columns: month, site_id, site_name and the counts."""
    _stalls_in_march(make_user)
    rows = client.get("/open/stalls/2026-03.json").json()["sites"]
    header = client.get("/open/stalls/2026-03.csv").content.decode("utf-8-sig").splitlines()[0]
    assert list(rows[0]) == header.split(",")
    assert rows[0]["site_name"] == "德荣早市" and rows[0]["registrations"] == 1


def test_frictionless_validates_the_data_package_and_every_file(open_live):
    """`frictionless validate` on /open/datapackage.json (every file against its Table
    Schema) and on each file it lists, served by the running app."""
    package = json.loads(_get(f"{open_live}/open/datapackage.json"))
    paths = {resource["path"] for resource in package["resources"]}
    assert {
        "index.json",
        "rankings/2026-02/v1.csv",
        "rankings/2026-03/v1.json",
        "stalls/2026-03.csv",
        "stalls/2026-03.json",
    } <= paths
    for resource in package["resources"]:
        if resource.get("type") == "table":
            assert all(field["type"] for field in resource["schema"]["fields"])
    for source in [f"{open_live}/open/datapackage.json"] + [
        f"{open_live}/open/{path}" for path in sorted(paths)
    ]:
        result = subprocess.run(
            [str(FRICTIONLESS), "validate", source],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, f"{source}\n{result.stdout}\n{result.stderr}"
        assert "INVALID" not in result.stdout, result.stdout


def test_the_atom_feed_names_its_author_and_the_csv_size(client, published):
    """RFC 4287: the feed has an author; each enclosure's length is its CSV's size."""
    root = ET.fromstring(client.get("/open/feed.atom").content)  # noqa: S314 (our own feed)
    assert root.find(f"{ATOM}author/{ATOM}name").text
    for entry in root.findall(f"{ATOM}entry"):
        enclosure = next(
            link for link in entry.findall(f"{ATOM}link") if link.get("rel") == "enclosure"
        )
        path = enclosure.get("href").split("/open/", 1)[1]
        size = len(client.get(f"/open/{path}").content)
        assert size > 0 and enclosure.get("length") == str(size)


def test_the_served_verifier_checks_the_chain_from_the_open_address(open_live, tmp_path):
    """/open/ links to verify_chain.py; downloaded and run by a plain python3 against the
    /open/ address the page shows (or the site root), it finds the chain intact."""
    page = _get(f"{open_live}/open/").decode()
    assert 'href="/open/verify_chain.py"' in page
    assert f"python3 verify_chain.py {open_live}/open/" in page
    script = tmp_path / "verify_chain.py"
    script.write_bytes(_get(f"{open_live}/open/verify_chain.py"))
    for address in (f"{open_live}/open/", f"{open_live}/open", open_live):
        result = subprocess.run(
            [PLAIN_PYTHON, "-I", str(script), address],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "OK 2 publications" in result.stdout
