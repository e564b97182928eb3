"""A double tap of a vendor's form on the /q/ pages (one session, one nonce, real
threads against PostgreSQL) acts once, and every tap shows the first's outcome; a form
without its nonce does nothing."""

import datetime

import pytest

from stalls import services
from stalls.codes import site_token
from stalls.models import Registration, Stall, StallAppeal, StallRenewal
from stalls.pledge import PLEDGE_VERSION
from stalls.terms import local_today
from tests.forms import signed_in, tapped_at_once, texts

from .conftest import id_number


def approved(site, vendor, officer) -> Stall:
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="李四",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    return services.registration_approve(registration=registration, officer=officer, slot=3)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_registers_once_for_a_double_tap(site, vendor):
    data = {
        "vendor_name": "张三",
        "goods_category": site.goods_categories[0],
        "id_number": id_number(),
        "pledge": "on",
        "pledge_version": PLEDGE_VERSION,
    }
    responses = tapped_at_once(vendor, f"/stalls/register/{site_token(site)}", data)
    assert Registration.objects.count() == 1
    assert all("您的登记已报送城市管理部门" in page for page in texts(responses))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_renews_once_for_a_double_tap(site, vendor, officer):
    stall = approved(site, vendor, officer)
    expiry = local_today() + datetime.timedelta(days=12)
    Stall.objects.filter(pk=stall.pk).update(expires_on=expiry)
    responses = tapped_at_once(vendor, f"/stalls/{stall.pk}/renew", {})
    assert StallRenewal.objects.count() == 1
    assert all("已续期" in page for page in texts(responses))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_files_one_appeal_for_a_double_tap(site, vendor, officer):
    stall = approved(site, vendor, officer)
    for _ in range(3):
        services.inspection_record(stall=stall, officer=officer, result="violation")
    responses = tapped_at_once(vendor, f"/stalls/{stall.pk}/appeal", {"reason": "那天下雨"})
    assert StallAppeal.objects.count() == 1
    assert all("申诉已提交" in page for page in texts(responses))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_gives_up_a_stall_once_for_a_double_tap(site, vendor, officer):
    stall = approved(site, vendor, officer)
    responses = tapped_at_once(vendor, f"/stalls/{stall.pk}/withdraw", {"confirm": "on"})
    assert Stall.objects.get(pk=stall.pk).status == Stall.Status.WITHDRAWN
    assert all("您已放弃该摊位" in page for page in texts(responses))


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_withdraws_a_registration_once_for_a_double_tap(site, vendor):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="张三",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    responses = tapped_at_once(vendor, f"/stalls/registrations/{registration.pk}/withdraw", {})
    assert Registration.objects.get().status == Registration.Status.WITHDRAWN
    assert all("您的登记已撤回" in page for page in texts(responses))


@pytest.mark.django_db
def test_a_vendor_form_without_its_nonce_does_nothing(site, vendor, officer):
    stall = approved(site, vendor, officer)
    page = signed_in(vendor).post(f"/stalls/{stall.pk}/withdraw", {"confirm": "on"}, follow=True)
    assert "此表单已过期或不完整" in page.content.decode()
    assert Stall.objects.get(pk=stall.pk).status == Stall.Status.ACTIVE
