"""Badge codes: a real QR decoder reads the URL the server prints, and it resolves."""

import io

import pytest
import zxingcpp
from PIL import Image
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics

from accounts.roles import Role
from cadres import codes, services
from core.pdf import cjk_font
from tests import pdf_text

pytestmark = pytest.mark.django_db


def decode(png: bytes) -> str:
    [result] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    return result.text


def test_the_qr_round_trip_resolves_to_the_cadre_until_rotated(
    client_for, cadre_user, cadre, resident_api
):
    """PNG from the server -> zxing-cpp -> URL -> POST /scan: the cadre; rotated: revoked."""
    png = client_for(cadre_user).get(f"/api/v1/cadres/{cadre.pk}/qr.png")
    assert png.status_code == 200 and png["Content-Type"] == "image/png"
    url = decode(png.content)
    assert url.startswith("http://127.0.0.1:8000/q/c.")
    assert len(url) <= 80

    scanned = resident_api.post("/api/v1/scan", {"code": url}, format="json")
    assert scanned.status_code == 200
    assert scanned.json() == {
        "type": "cadre",
        "cadre": {
            "id": cadre.pk,
            "name": "王丽娜",
            "title": "科员",
            "unit": {"id": cadre.unit_id, "name": "康巴什区文化和旅游局"},
            "photo_url": None,
        },
    }

    services.cadre_code_rotate(cadre=cadre, actor=cadre_user)
    revoked = resident_api.post("/api/v1/scan", {"code": url}, format="json")
    assert revoked.status_code == 404
    assert revoked.json()["code"] == "code_revoked"
    new_url = decode(client_for(cadre_user).get(f"/api/v1/cadres/{cadre.pk}/qr.png").content)
    assert new_url != url
    assert resident_api.post("/api/v1/scan", {"code": new_url}, format="json").status_code == 200


def test_the_url_stays_short_for_huge_ids_and_versions(make_cadre, settings):
    """Even a very large id and version keep the URL within 80 characters."""
    settings.PUBLIC_BASE_URL = "https://duoduo.kangbashi.gov.cn"
    cadre = make_cadre()
    cadre.pk, cadre.code_version = 10**15, 10**6
    assert len(codes.badge_url(cadre)) <= 80


def test_the_svg_is_an_svg(client_for, district_admin, cadre):
    response = client_for(district_admin).get(f"/api/v1/cadres/{cadre.pk}/qr.svg")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in response.content


def test_the_badge_is_for_the_cadre_its_unit_admin_and_district_admins(
    client_for,
    cadre,
    cadre_user,
    unit_admin,
    district_admin,
    resident,
    make_user,
    make_unit,
    make_cadre,
):
    """Object-level: another unit's admin, another cadre and a resident get 403."""
    other_admin = make_user(Role.UNIT_ADMIN, unit=make_unit().pk)
    other_cadre_user = make_user(Role.CADRE, cadre=make_cadre().pk)
    url = f"/api/v1/cadres/{cadre.pk}/qr.png"
    for user in (cadre_user, unit_admin, district_admin):
        assert client_for(user).get(url).status_code == 200
    for user in (other_admin, other_cadre_user, resident):
        assert client_for(user).get(url).status_code == 403
    assert client_for(district_admin).get("/api/v1/cadres/987654321/qr.png").status_code == 404


def test_rotation_is_for_unit_admins_and_district_admins(
    client_for, cadre, cadre_user, unit_admin, make_user, make_unit
):
    url = f"/api/v1/cadres/{cadre.pk}/qr/rotate"
    assert client_for(cadre_user).post(url).status_code == 403
    assert client_for(make_user(Role.UNIT_ADMIN, unit=make_unit().pk)).post(url).status_code == 403
    response = client_for(unit_admin).post(url)
    assert response.status_code == 200
    assert response.json()["code_version"] == 2
    cadre.refresh_from_db()
    assert response.json()["code_url"] == codes.badge_url(cadre)


def test_the_badge_sheet_has_8_badges_a_page_with_chinese_text(
    client_for, unit_admin, unit, make_cadre
):
    """10 cadres -> 2 A4 pages; names and the Chinese instructions are in the text."""
    for n in range(10):
        make_cadre(unit=unit, name=f"干部{n}", title="科员")
    response = client_for(unit_admin).get(f"/api/v1/units/{unit.pk}/badges.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    pdf = PdfReader(io.BytesIO(response.content))
    assert len(pdf.pages) == 2
    first = pdf.pages[0].extract_text()
    assert "干部0" in first and "干部7" in first and "干部8" not in first
    assert "扫码评价" in first
    assert len(pdf.pages[0].images) == 8


def test_the_badge_sheet_is_for_that_units_admin(
    client_for, unit, make_user, make_unit, resident, district_admin
):
    other_admin = make_user(Role.UNIT_ADMIN, unit=make_unit().pk)
    assert client_for(other_admin).get(f"/api/v1/units/{unit.pk}/badges.pdf").status_code == 403
    assert client_for(resident).get(f"/api/v1/units/{unit.pk}/badges.pdf").status_code == 403
    assert client_for(district_admin).get("/api/v1/units/424242/badges.pdf").status_code == 404


def test_units_and_their_cadres_are_public(api, cadre, make_cadre, django_assert_num_queries):
    make_cadre(unit=cadre.unit, active=False)
    units = api.get("/api/v1/units").json()["results"]
    assert units == [
        {"id": cadre.unit_id, "name": cadre.unit.name, "kind": "bureau", "parent": None}
    ]
    with django_assert_num_queries(2):
        cadres = api.get(f"/api/v1/units/{cadre.unit_id}/cadres").json()["results"]
    assert [c["id"] for c in cadres] == [cadre.pk]
    assert api.get("/api/v1/units/424242/cadres").status_code == 404


def test_it_prints_every_badge_line_with_an_embedded_font_inside_its_cut_line(
    client_for, unit_admin, unit, make_cadre
):
    """Every glyph comes from an embedded font (the middle dot is no missing-glyph box),
    the instruction line reads "一人一码 · 扫码评价我的服务", and each text line, the
    "No." line included, sits inside its badge's cut line with 1 mm to spare."""
    for n in range(8):
        make_cadre(unit=unit, name=f"干部{n}", title="科员")
    response = client_for(unit_admin).get(f"/api/v1/units/{unit.pk}/badges.pdf")
    [page] = pdf_text.pages(response.content)
    assert pdf_text.unembedded_fonts(page) == []
    assert "一人一码 · 扫码评价我的服务" in page.extract_text()

    mm = 72 / 25.4
    page_w, page_h = float(page.mediabox.width), float(page.mediabox.height)
    margin = 10 * mm
    cell_w, cell_h = (page_w - 2 * margin) / 2, (page_h - 2 * margin) / 4
    lines = pdf_text.runs(page)
    assert sum(run.text.startswith("No.") for run in lines) == 8
    for run in lines:
        col, row = int((run.x - margin) // cell_w), int((page_h - margin - run.y) // cell_h)
        left, top = margin + col * cell_w, page_h - margin - row * cell_h
        # The cut line is 1 mm inside the cell; the text keeps another 1 mm from it.
        inner_left, inner_right = left + 2 * mm, left + cell_w - 2 * mm
        inner_bottom, inner_top = top - cell_h + 2 * mm, top - 2 * mm
        width = pdfmetrics.stringWidth(run.text, cjk_font(), run.size)
        assert inner_left <= run.x and run.x + width <= inner_right, run
        assert inner_bottom <= run.y - 0.25 * run.size, run  # the descent of the glyphs
        assert run.y + run.size <= inner_top, run
