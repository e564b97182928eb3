import datetime
import io

import pytest
import zxingcpp
from django.core.cache import cache
from django.utils import timezone
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from core.pdf import cjk_font
from stalls import seed, services
from stalls.codes import site_code_url, site_token, stall_code_url, stall_token
from stalls.idcard import check_char, normalize_id_number
from stalls.models import Registration, Site, TradingWindow
from stalls.pledge import PLEDGE_VERSION
from stalls.selectors import trading_now
from tests import pdf_text
from tests.forms import nonce_for

from .conftest import at_noon, id_number

pytestmark = pytest.mark.django_db


def approved_stall(site, vendor, officer, slot):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="李大姐",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    return services.registration_approve(registration=registration, officer=officer, slot=slot)


def test_it_lists_sites_in_a_fixed_number_of_queries(
    api, make_site, make_user, officer, django_assert_num_queries
):
    """The public site list costs the same queries for 2 sites or 12, stalls or not
    (built afresh: the cache is emptied before each)."""
    for _ in range(2):
        make_site()
    with django_assert_num_queries(2):
        assert len(api.get("/api/v1/stalls/sites").json()["results"]) == 2
    for index in range(10):
        site = make_site(windows=(("06:00", "09:00"), ("17:00", "20:00")))
        approved_stall(site, make_user(), officer, slot=1 + index % 3)
    cache.clear()
    with django_assert_num_queries(2):
        results = api.get("/api/v1/stalls/sites").json()["results"]
    assert len(results) == 12
    assert results[-1]["free_slots"] == 9
    assert results[-1]["hours"][1] == {
        "start": "17:00",
        "end": "20:00",
        "days": [1, 2, 3, 4, 5, 6, 7],
    }


def test_it_shows_a_stall_in_a_fixed_number_of_queries(
    api, site, vendor, officer, django_assert_num_queries
):
    """The public stall view: masked name, goods, site, slot, hours, status, license."""
    stall = approved_stall(site, vendor, officer, slot=2)
    with django_assert_num_queries(2):
        body = api.get(f"/api/v1/stalls/{stall.pk}").json()
    assert body["vendor_name"] == "李**"
    assert body["goods_category"] == site.goods_categories[0]
    assert body["site"] == {"id": site.pk, "name": site.name, "address": site.address}
    assert (body["slot"], body["status"], body["license_no"]) == (2, "active", stall.license_no)
    assert "id_number" not in body


def test_it_serves_the_public_reads_from_a_cache_refreshed_by_writes(
    api,
    site,
    vendor,
    other_vendor,
    officer,
    django_assert_num_queries,
    django_capture_on_commit_callbacks,
):
    """A repeated read costs no query; an approval (once committed) refreshes both the
    free slots of the list and the stall's view."""
    stall = approved_stall(site, vendor, officer, slot=1)
    assert api.get("/api/v1/stalls/sites").json()["results"][0]["free_slots"] == 9
    api.get(f"/api/v1/stalls/{stall.pk}")
    with django_assert_num_queries(0), at_noon():
        api.get("/api/v1/stalls/sites")
        assert api.get(f"/api/v1/stalls/{stall.pk}").json()["trading_now"] is True
    with django_capture_on_commit_callbacks(execute=True):
        approved_stall(site, other_vendor, officer, slot=2)
    assert api.get("/api/v1/stalls/sites").json()["results"][0]["free_slots"] == 8


def test_it_knows_when_a_stall_is_trading(site):
    """Trading now: inside a window on one of its days, also past midnight."""
    night = TradingWindow(site=site, start=datetime.time(18), end=datetime.time(1))
    monday_only = TradingWindow(
        site=site, start=datetime.time(6), end=datetime.time(9), days_mask=0b0000001
    )
    tz = timezone.get_current_timezone()
    monday_7 = datetime.datetime(2026, 11, 16, 7, 0, tzinfo=tz)
    tuesday_7 = datetime.datetime(2026, 11, 17, 7, 0, tzinfo=tz)
    assert trading_now([monday_only], at=monday_7)
    assert not trading_now([monday_only], at=tuesday_7)
    assert trading_now([night], at=datetime.datetime(2026, 11, 16, 23, 30, tzinfo=tz))
    assert trading_now([night], at=datetime.datetime(2026, 11, 17, 0, 30, tzinfo=tz))
    assert not trading_now([night], at=datetime.datetime(2026, 11, 17, 1, 30, tzinfo=tz))


def test_it_validates_mainland_id_numbers():
    """The check digit of GB 11643 (a known example), lowercase x, bad dates."""
    assert check_char("11010519491231002") == "X"
    assert normalize_id_number(" 11010519491231002x ") == "11010519491231002X"
    for bad in ("110105194912310021", "11010519491331002X", "1101051949123100", "A" * 18):
        with pytest.raises(ValueError):
            normalize_id_number(bad)


def test_it_answers_scan_with_the_site_body(client_for, resident, site):
    """POST /scan with a site's code gives the site as in GET /stalls/sites."""
    body = client_for(resident).post("/api/v1/scan", {"code": site_code_url(site)}).json()
    listed = client_for(resident).get("/api/v1/stalls/sites").json()["results"][0]
    assert body == {"type": "site", "site": listed}
    assert listed["unit"] == {"id": site.unit_id, "name": site.unit.name}
    assert len(site_code_url(site)) <= 80


def test_it_prints_the_site_code_and_an_a4_poster(client_for, officer, district_admin, site):
    """The code and the poster both carry the site's current code URL; the poster is A4
    and names the site in Chinese."""
    png = client_for(officer).get(f"/api/v1/stalls/sites/{site.pk}/qr.png")
    assert png["Content-Type"] == "image/png"
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text == site_code_url(
        site
    )
    pdf = client_for(district_admin).get(f"/api/v1/stalls/sites/{site.pk}/poster.pdf")
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    page = PdfReader(io.BytesIO(pdf.content)).pages[0]
    assert (round(float(page.mediabox.width)), round(float(page.mediabox.height))) == (595, 842)
    assert site.name in page.extract_text()
    image = page.images[0].image
    assert zxingcpp.read_barcodes(image)[0].text == site_code_url(site)


def test_it_renders_the_site_page_with_a_signin_or_a_form(client, resident, site):
    """/q/<site token>: hours and free slots; sign-in when anonymous, the form otherwise."""
    page = client.get(f"/q/{site_token(site)}")
    assert page.status_code == 200
    html = page.content.decode()
    assert site.name in html and "00:00–23:59" in html and "10 / 10" in html
    assert 'id="signin"' in html and 'id="register"' not in html
    client.force_login(resident)
    html = client.get(f"/q/{site_token(site)}").content.decode()
    assert 'id="register"' in html


def test_it_registers_from_the_site_page(client, resident, site):
    """The page form files a registration; a wrong check digit shows the error instead."""
    client.force_login(resident)
    url = f"/stalls/register/{site_token(site)}"
    good = id_number()
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    form = {
        "vendor_name": "张三",
        "goods_category": "snacks",
        "description": "煎饼",
        "pledge": "on",
        "pledge_version": PLEDGE_VERSION,
    }
    response = client.post(url, {**form, "id_number": bad, **nonce_for(resident)})
    assert response.status_code == 200
    assert not Registration.objects.exists()
    response = client.post(url, {**form, "id_number": good, **nonce_for(resident)}, follow=True)
    assert response.redirect_chain
    assert Registration.objects.get().status == "pending"
    assert 'id="my-registrations"' in response.content.decode()


def test_it_renders_the_stall_page_and_takes_reports(client, resident, site, vendor, officer):
    """/q/<stall token>: the public view and a report form for a signed-in user."""
    stall = approved_stall(site, vendor, officer, slot=5)
    site_html = client.get(f"/q/{site_token(site)}").content.decode()
    assert f'href="/q/{stall_token(stall)}"' in site_html and "李**" in site_html
    html = client.get(f"/q/{stall_token(stall)}").content.decode()
    assert stall.license_no in html and "李**" in html and 'id="signin"' in html
    client.force_login(resident)
    response = client.post(f"/stalls/{stall.pk}/report", {"category": "hygiene"}, follow=True)
    assert response.status_code == 200
    assert stall.reports.get().reporter == resident
    assert stall_code_url(stall).endswith(stall_token(stall))


def test_it_seeds_the_13_demo_sites_once(db):
    """seed: 13 sites, 3 markets (the Derong Morning Market among them), 150 slots, one
    unit; running it again changes nothing."""
    seed.run()
    seed.run()
    assert Site.objects.count() == 13
    assert sum(Site.objects.values_list("capacity", flat=True)) == 150
    assert Site.objects.exclude(kind="convenience_point").count() == 3
    derong = Site.objects.get(name="德荣早市")
    assert derong.kind == "morning_market"
    assert derong.unit.name == "康巴什区城市管理综合执法局"
    assert Site.objects.values("unit").distinct().count() == 1
    assert TradingWindow.objects.filter(site=derong).count() == 1


def test_it_prints_the_poster_with_an_embedded_font_and_every_line_on_the_page(
    client_for, district_admin, site
):
    """Every glyph of the poster comes from an embedded font, and even a long address
    stays inside the page's 10 mm margins."""
    site.address = "内蒙古自治区鄂尔多斯市康巴什区青春山街道办事处北侧广场东门入口处" * 2
    site.save(update_fields=["address"])
    pdf = client_for(district_admin).get(f"/api/v1/stalls/sites/{site.pk}/poster.pdf")
    [page] = pdf_text.pages(pdf.content)
    assert pdf_text.unembedded_fonts(page) == []
    mm = 72 / 25.4
    page_w = float(page.mediabox.width)
    for run in pdf_text.runs(page):
        width = pdfmetrics.stringWidth(run.text, cjk_font(), run.size)
        assert 10 * mm <= run.x and run.x + width <= page_w - 10 * mm, run
