"""The home page, the site's icon, the 长辈模式 switch and the percent filter."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client, override_settings

from core import display
from core.templatetags.display import percent

pytestmark = pytest.mark.django_db


def test_the_home_page_names_what_the_district_offers(client):
    response = client.get("/", headers={"accept-language": "zh-hans"})
    assert response.status_code == 200
    html = response.content.decode()
    for path in ("/leaderboard/", "/open/", "/livestream/", "/signin/code"):
        assert f'"{path}"' in html, path
    assert 'id="scan-hint"' in html and "扫码" in html
    assert '<a class="home" href="/">' in html


def test_the_favicon_is_an_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content[:4] == b"\x00\x00\x01\x00"  # an ICO file's header
    assert "max-age=86400" in response["Cache-Control"]


def test_the_switch_remembers_elder_mode_in_a_cookie_and_goes_back(client):
    response = client.get("/display", {"elder": "1", "next": "/open/?stalls=2026-03"})
    assert response.status_code == 302
    assert response["Location"] == "/open/?stalls=2026-03"
    cookie = response.cookies[display.COOKIE]
    assert cookie.value == "1" and cookie["max-age"] == display.COOKIE_SECONDS
    page = client.get("/open/").content.decode()
    assert '<body class="elder">' in page
    assert 'href="/display?elder=0&amp;next=/open/"' in page
    off = client.get("/display", {"elder": "0", "next": "/open/"})
    assert off.cookies[display.COOKIE].value == ""
    assert "<body>" in client.get("/open/").content.decode()


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:x"])
def test_the_switch_goes_back_only_to_this_site(client, target):
    response = client.get("/display", {"elder": "1", "next": target})
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_public_page_varies_on_the_cookie_and_is_private_in_elder_mode():
    anonymous = Client().get("/livestream/")
    assert "public" in anonymous["Cache-Control"] and "Cookie" in anonymous["Vary"]
    elder = Client()
    elder.cookies[display.COOKIE] = "1"
    response = elder.get("/livestream/")
    assert "private" in response["Cache-Control"] and "public" not in response["Cache-Control"]
    assert '<body class="elder">' in response.content.decode()


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("0.8333", "83.3\u00a0%"),
        ("1.0000", "100.0\u00a0%"),
        ("0", "0.0\u00a0%"),
        ("", ""),
        (None, ""),
        ("n/a", "n/a"),
    ],
)
def test_percent_shows_a_rate_as_people_read_it(value, shown):
    assert percent(value) == shown


@override_settings(PUBLIC_BASE_URL="https://duoduo.example.cn")
def test_ensure_admin_prints_the_public_address(tmp_path, monkeypatch):
    monkeypatch.setenv("ADMIN_PASSWORD", "a-long-admin-password")
    out = StringIO()
    call_command("ensure_admin", stdout=out)
    assert "https://duoduo.example.cn/admin/" in out.getvalue()
    assert "127.0.0.1:8000" not in out.getvalue()
