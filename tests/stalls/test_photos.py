"""Stall report and registration photos: checked by the one core validator, stored
under random names, served (DEBUG off) to the owner, the site unit's urban officers and
district admins only."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from accounts.roles import Role
from stalls.codes import site_code_url
from stalls.models import Registration, Stall, StallReport
from tests.stalls.conftest import fetch_status, id_number

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes(size=(10, 10), mode="RGB") -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


@pytest.fixture
def stall(client_for, register, site, vendor, officer):
    registration = register(vendor, site).json()["id"]
    response = client_for(officer).post(
        f"/api/v1/stalls/registrations/{registration}/approve", {"slot": 4}, format="json"
    )
    return Stall.objects.get(pk=response.json()["id"])


def report(client, stall, photo_bytes):
    return client.post(
        f"/api/v1/stalls/{stall.pk}/reports",
        {
            "category": "blocking_road",
            "comment": "占用人行道",
            "photo": SimpleUploadedFile("li-si-stall.png", photo_bytes, "image/png"),
        },
        format="multipart",
    )


# Pillow warns of the 144-megapixel image this test sends when Django's ImageField opens
# its header (Pillow's own limit is 89 MP); core.photos refuses it at 40 MP.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_it_refuses_a_report_photo_of_more_than_40_megapixels(client_for, resident, stall):
    """A 12000x12000 PNG of about 17 kB is 400 `invalid` with a message on `photo`."""
    response = report(client_for(resident), stall, png_bytes((12000, 12000), mode="1"))
    assert response.status_code == 400, response.content[:300]
    assert response.json()["code"] == "invalid" and response.json()["fields"]["photo"]
    assert not StallReport.objects.exists()


def test_it_serves_a_report_photo_to_the_reporter_the_units_officers_and_district_admins(
    client_for, resident, stall, vendor, officer, other_officer, district_admin, make_user, api
):
    """The reporter, an urban officer of the site's unit and a district admin fetch the
    photo at the URL of the API body; an officer of another unit, a moral reviewer, the
    vendor and anyone anonymous get 404. The stored name is random."""
    content = png_bytes()
    response = report(client_for(resident), stall, content)
    assert response.status_code == 201, response.content[:300]
    url = response.json()["photo_url"]
    name = StallReport.objects.get().photo.name
    assert name.startswith("stalls/reports/") and "li-si" not in name
    for user in (resident, officer, district_admin):
        response = client_for(user).get(url)
        assert response.status_code == 200, user
        assert b"".join(response.streaming_content) == content
    for user in (other_officer, make_user(Role.MORAL_REVIEWER), vendor):
        assert fetch_status(client_for(user), url) == 404, user
    assert fetch_status(api, url) == 404


def test_it_serves_a_registration_photo_to_the_vendor_and_the_units_officers(
    client_for, site, vendor, officer, other_officer, make_user, api
):
    """A registration's photo: the vendor and the site unit's officer, not another unit's
    officer nor another resident."""
    response = client_for(vendor).post(
        "/api/v1/stalls/registrations",
        {
            "site_code": site_code_url(site),
            "vendor_name": "王小明",
            "id_number": id_number(),
            "goods_category": "fruit_vegetables",
            "photo": SimpleUploadedFile("wang-xiaoming.png", png_bytes(), "image/png"),
        },
        format="multipart",
    )
    assert response.status_code == 201, response.content[:300]
    url = Registration.objects.get().photo.url
    assert "wang" not in url
    assert fetch_status(client_for(vendor), url) == 200
    assert fetch_status(client_for(officer), url) == 200
    assert fetch_status(client_for(other_officer), url) == 404
    assert fetch_status(client_for(make_user()), url) == 404
    assert fetch_status(api, url) == 404
