"""The vendor's own forms on the /q/ pages (a signed-in session): renew, give up,
appeal, photo on the stall's page; the pledge and withdrawing on the site's page."""

import datetime
import io

import pytest
from django.conf import settings
from PIL import Image

from accounts.models import Consent
from stalls import services
from stalls.codes import site_token, stall_token
from stalls.models import Registration, Stall, StallAppeal, StallReport
from stalls.pledge import PLEDGE_VERSION
from stalls.terms import add_months, local_today
from tests.forms import nonce_for

from .conftest import id_number

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def stall(site, vendor, officer):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="李四",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    return services.registration_approve(registration=registration, officer=officer, slot=3)


def page(client, stall):
    return client.get(f"/q/{stall_token(stall)}").content.decode()


def test_only_the_vendor_sees_the_vendor_forms(client, stall, vendor, other_vendor):
    assert 'id="my-stall"' not in page(client, stall)
    client.force_login(other_vendor)
    assert 'id="my-stall"' not in page(client, stall)
    client.force_login(vendor)
    html = page(client, stall)
    assert 'id="my-stall"' in html and 'id="withdraw-submit"' in html
    assert 'id="renew-submit"' not in html and 'id="renewal-opens"' in html
    assert 'id="appeal-submit"' not in html  # not suspended


def test_the_vendor_renews_on_the_page(client, stall, vendor):
    expiry = local_today() + 12 * DAY
    Stall.objects.filter(pk=stall.pk).update(expires_on=expiry)
    client.force_login(vendor)
    assert 'id="renew-submit"' in page(client, stall)
    response = client.post(f"/stalls/{stall.pk}/renew", nonce_for(vendor), follow=True)
    assert response.redirect_chain[-1][0] == f"/q/{stall_token(stall)}"
    assert Stall.objects.get(pk=stall.pk).expires_on == add_months(expiry, 12)
    again = client.post(
        f"/stalls/{stall.pk}/renew", nonce_for(vendor), follow=True
    ).content.decode()
    assert 'class="error"' in again
    assert Stall.objects.get(pk=stall.pk).expires_on == add_months(expiry, 12)


def test_a_stranger_posting_the_vendor_forms_changes_nothing(client, stall, other_vendor):
    Stall.objects.filter(pk=stall.pk).update(expires_on=local_today() + DAY)
    client.force_login(other_vendor)
    for action in ("renew", "withdraw", "appeal"):
        response = client.post(
            f"/stalls/{stall.pk}/{action}",
            {"confirm": "on", "reason": "x", **nonce_for(other_vendor)},
            follow=True,
        )
        assert 'class="error"' in response.content.decode(), action
    stall.refresh_from_db()
    assert (stall.status, stall.expires_on) == ("active", local_today() + DAY)
    client.logout()
    assert client.post(f"/stalls/{stall.pk}/withdraw", {"confirm": "on"}).status_code == 302
    assert Stall.objects.get(pk=stall.pk).status == "active"
    assert client.get(f"/stalls/{stall.pk}/withdraw").status_code == 405
    assert client.post("/stalls/999999/withdraw").status_code == 404


def test_giving_up_on_the_page_needs_the_box_ticked(client, stall, vendor):
    client.force_login(vendor)
    refused = client.post(
        f"/stalls/{stall.pk}/withdraw", {"reason": "不干了", **nonce_for(vendor)}, follow=True
    )
    assert "Tick the box" in refused.content.decode() or "勾选" in refused.content.decode()
    assert Stall.objects.get(pk=stall.pk).status == "active"
    client.post(
        f"/stalls/{stall.pk}/withdraw", {"reason": "不干了", "confirm": "on", **nonce_for(vendor)}
    )
    assert Stall.objects.get(pk=stall.pk).status == "withdrawn"
    assert 'id="withdraw-submit"' not in page(client, stall)


def test_the_vendor_appeals_a_suspension_on_the_page(client, stall, vendor, officer):
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    client.force_login(vendor)
    assert 'id="appeal-submit"' in page(client, stall)
    empty = client.post(
        f"/stalls/{stall.pk}/appeal", {"reason": "", **nonce_for(vendor)}, follow=True
    )
    assert 'class="error"' in empty.content.decode()
    assert not StallAppeal.objects.exists()
    client.post(f"/stalls/{stall.pk}/appeal", {"reason": "那天下雨没出摊", **nonce_for(vendor)})
    assert StallAppeal.objects.get().reason == "那天下雨没出摊"
    assert 'id="appeal-pending"' in page(client, stall)


def test_the_vendor_uploads_a_photo_on_the_page(client, stall, vendor):
    buffer = io.BytesIO()
    Image.new("RGB", (900, 300), (0, 128, 0)).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "me.png"
    client.force_login(vendor)
    client.post(f"/stalls/{stall.pk}/photo", {"photo": buffer, **nonce_for(vendor)})
    stall.refresh_from_db()
    with stall.photo.open("rb") as stored, Image.open(stored) as image:
        assert (image.format, image.size) == ("JPEG", (600, 200))
    client.logout()
    assert f'src="{stall.photo.url}"' in page(client, stall)
    bad = io.BytesIO(b"plain text")
    bad.name = "x.jpg"
    client.force_login(vendor)
    response = client.post(
        f"/stalls/{stall.pk}/photo", {"photo": bad, **nonce_for(vendor)}, follow=True
    )
    assert 'class="error"' in response.content.decode()


def test_the_site_page_asks_for_the_pledge(client, resident, site):
    client.force_login(resident)
    html = client.get(f"/q/{site_token(site)}").content.decode()
    assert 'id="pledge"' in html and f'value="{PLEDGE_VERSION}"' in html
    form = {
        "vendor_name": "张三",
        "goods_category": "snacks",
        "id_number": id_number(),
        "pledge_version": PLEDGE_VERSION,
    }
    refused = client.post(f"/stalls/register/{site_token(site)}", {**form, **nonce_for(resident)})
    assert refused.status_code == 200 and not Registration.objects.exists()
    outdated = client.post(
        f"/stalls/register/{site_token(site)}",
        {**form, "pledge": "on", "pledge_version": "2019-1", **nonce_for(resident)},
    )
    assert outdated.status_code == 200 and not Registration.objects.exists()
    client.post(
        f"/stalls/register/{site_token(site)}", {**form, "pledge": "on", **nonce_for(resident)}
    )
    assert Registration.objects.get().pledge_version == PLEDGE_VERSION


def test_the_site_page_withdraws_a_pending_registration(client, site, vendor, other_vendor):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="张三",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    client.force_login(other_vendor)
    client.post(f"/stalls/registrations/{registration.pk}/withdraw", nonce_for(other_vendor))
    assert Registration.objects.get().status == "pending"
    client.force_login(vendor)
    assert "withdraw-registration" in client.get(f"/q/{site_token(site)}").content.decode()
    client.post(f"/stalls/registrations/{registration.pk}/withdraw", nonce_for(vendor))
    assert Registration.objects.get().status == "withdrawn"


def test_the_vendor_finds_registrations_stalls_and_reports_at_me_stalls(
    client, stall, vendor, other_vendor, officer
):
    """/me/stalls, where the stalls' notifications open (notifications/links.py)."""
    report = services.report_create(stall=stall, reporter=vendor, category="other", comment="x")
    services.report_close(report=report, officer=officer, resolution="已处理")
    client.force_login(vendor)
    notifications = client.get("/notifications").content.decode()
    assert f'href="/me/stalls#stall-{stall.pk}"' in notifications  # approved
    assert 'href="/me/stalls#reports"' in notifications  # report closed
    assert "/api/v1/" not in notifications
    response = client.get("/me/stalls")
    assert "private" in response["Cache-Control"]
    html = response.content.decode()
    assert f'id="registration-{stall.registration_id}"' in html
    assert f'id="stall-{stall.pk}"' in html and f"/q/{stall_token(stall)}" in html
    assert f'id="report-{report.pk}"' in html and "已处理" in html
    client.force_login(other_vendor)
    html = client.get("/me/stalls").content.decode()
    assert f'id="stall-{stall.pk}"' not in html and f'id="report-{report.pk}"' not in html


def test_registering_on_the_page_needs_the_notice_and_the_id_consent(client, make_user, site):
    """The API's 409 consent_required (purpose id_number): the page shows the accept form
    and a registration posted without the consents writes nothing."""
    resident = make_user(consent=False)
    client.force_login(resident)
    html = client.get(f"/q/{site_token(site)}").content.decode()
    assert 'id="consent-accept"' in html and 'name="purpose" value="id_number"' in html
    assert 'id="pledge"' not in html
    form = {
        "vendor_name": "张三",
        "goods_category": "snacks",
        "id_number": id_number(),
        "pledge": "on",
        "pledge_version": PLEDGE_VERSION,
    }
    url = f"/stalls/register/{site_token(site)}"
    client.post(url, {**form, **nonce_for(resident)})
    assert not Registration.objects.exists()
    version = settings.PRIVACY_NOTICE_VERSION
    client.post("/privacy/accept", {"version": version, "purpose": "notice"})
    client.post(url, {**form, **nonce_for(resident)})  # the ID consent is still missing
    assert not Registration.objects.exists()
    client.post("/privacy/accept", {"version": version, "purpose": "id_number"})
    assert set(Consent.objects.filter(user=resident).values_list("purpose", flat=True)) == {
        "notice",
        "id_number",
    }
    client.post(url, {**form, **nonce_for(resident)})
    assert Registration.objects.get().vendor == resident


def test_a_report_from_the_page_needs_the_consent(client, make_user, stall):
    resident = make_user(consent=False)
    client.force_login(resident)
    assert 'id="consent-accept"' in page(client, stall)
    report = {"category": "hygiene", "comment": "脏"}
    client.post(f"/stalls/{stall.pk}/report", report)
    assert not StallReport.objects.exists()
    client.post("/privacy/accept", {"version": settings.PRIVACY_NOTICE_VERSION})
    assert 'id="report-submit"' in page(client, stall)
    client.post(f"/stalls/{stall.pk}/report", report)
    assert StallReport.objects.get().reporter == resident
