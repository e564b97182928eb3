"""The rest of the trail (docs/audit.md): code rotations, role grants, broadcasts, staff
reading a person's data in the admin, and the trail's own admin for the auditor role."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from cadres.models import Cadre, Unit
from core.audit import AuditEvent
from merchants import services as merchant_services
from notifications import services as notification_services
from points import services as points_services
from stalls import services as stall_services
from stalls.codes import site_code_url
from tests.forms import nonce_of
from tests.stalls.conftest import id_number, make_site_for

pytestmark = pytest.mark.django_db


def since(pk: int, **filters):
    return list(AuditEvent.objects.filter(pk__gt=pk, **filters).order_by("pk"))


def last() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_code_rotations_are_one_event_each(make_user):
    admin = make_user(Role.DISTRICT_ADMIN)
    unit = Unit.objects.create(name="城管大队", kind="urban_management")
    cadre = Cadre.objects.create(unit=unit, name="王丽娜", employee_number="R0001")
    site = make_site_for(unit)
    merchant = points_services.merchant_create(name="鄂尔多斯羊绒店")
    start = last()
    client = signed_in(admin)
    client.post(
        "/admin/cadres/cadre/",
        {"action": "rotate_codes", "_selected_action": [cadre.pk], **nonce_of(client)},
    )
    stall_services.site_code_rotate(site=site, actor=admin)
    merchant_services.merchant_code_rotate(merchant=merchant, actor=admin)
    assert [(e.action, e.actor, e.summary["after"]["version"]) for e in since(start)] == [
        ("cadre.code_rotate", admin, 2),
        ("site.code_rotate", admin, 2),
        ("merchant.code_rotate", admin, 2),
    ]
    # An officer of another unit may not rotate the site's code: nothing recorded.
    stranger = make_user(Role.URBAN_OFFICER, unit=Unit.objects.create(name="其他大队").pk)
    before = last()
    with pytest.raises(Exception, match="."):
        stall_services.site_code_rotate(site=site, actor=stranger)
    assert since(before) == []


def test_a_role_grant_is_an_event_about_the_person(make_user):
    person = make_user()
    start = last()
    call_command("grant_role", person.phone, "auditor")
    (event,) = since(start)
    assert (event.action, event.actor, event.actor_role, event.subject) == (
        "role.grant",
        None,
        "system",
        person,
    )
    assert event.summary == {"after": {"role": "auditor", "links": {}}}
    assert person.phone not in str(event.summary)
    with pytest.raises(Exception, match="."):
        call_command("grant_role", person.phone, "emperor")
    assert len(since(start)) == 1


def test_a_broadcast_is_one_event_and_a_refused_one_none(make_user):
    admin = make_user(Role.DISTRICT_ADMIN)
    start = last()
    params = {"title": "t", "body": "b"}
    notification_services.broadcast_create(
        key="notice:a", kind="notice", audience="residents", params=params, created_by=admin
    )
    assert (
        notification_services.broadcast_create(
            key="notice:a", kind="notice", audience="residents", params=params, created_by=admin
        )
        is None
    )
    with pytest.raises(Exception, match="."):
        notification_services.broadcast_create(
            key="notice:b", kind="notice", audience="martians", params=params, created_by=admin
        )
    assert [(e.action, e.actor) for e in since(start)] == [("broadcast.create", admin)]


def test_staff_reading_a_persons_data_in_the_admin_is_an_event(make_user, client_for):
    """The registration's decide page shows the whole ID number and phone to an officer of
    the site's unit; a user's page shows their phone: each view is an event about them."""
    unit = Unit.objects.create(name="城管大队", kind="urban_management")
    site = make_site_for(unit)
    officer = make_user(Role.URBAN_OFFICER, unit=unit.pk)
    vendor = make_user()
    body = {
        "site_code": site_code_url(site),
        "vendor_name": "王小明",
        "id_number": id_number(),
        "goods_category": site.goods_categories[0],
    }
    registration_id = (
        client_for(vendor).post("/api/v1/stalls/registrations", body, format="json").json()["id"]
    )
    start = last()
    page = signed_in(officer).get(f"/admin/stalls/registration/{registration_id}/decide/")
    assert page.status_code == 200
    assert body["id_number"] in page.content.decode()
    (event,) = since(start)
    assert (event.action, event.actor, event.subject, event.actor_unit) == (
        "registration.reveal",
        officer,
        vendor,
        unit.name,
    )
    # The API's detail too; the vendor reading their own registration is no event.
    assert (
        client_for(officer).get(f"/api/v1/stalls/registrations/{registration_id}").status_code
        == 200
    )
    assert (
        client_for(vendor).get(f"/api/v1/stalls/registrations/{registration_id}").status_code == 200
    )
    assert [e.actor for e in since(event.pk)] == [officer]

    superuser = make_user(Role.DISTRICT_ADMIN)
    superuser.is_superuser = True
    superuser.save()
    start = last()
    admin = signed_in(superuser)
    assert admin.get(f"/admin/accounts/user/{vendor.pk}/change/").status_code == 200
    (viewed,) = since(start)
    assert (viewed.action, viewed.actor, viewed.subject) == ("user.view", superuser, vendor)


@pytest.fixture
def trail(make_user):
    """Two decisions by two people, on two days."""
    first, second = make_user(Role.DISTRICT_ADMIN), make_user(Role.DISTRICT_ADMIN)
    merchant = points_services.merchant_create(name="鄂尔多斯羊绒店")
    merchant_services.merchant_code_rotate(merchant=merchant, actor=first)
    unit = Unit.objects.create(name="城管大队", kind="urban_management")
    site = make_site_for(unit)
    stall_services.site_code_rotate(site=site, actor=second)
    return first, second, merchant, site


def test_the_auditor_reads_the_trail_in_the_admin_and_changes_nothing(make_user, trail):
    first, second, merchant, site = trail
    auditor = make_user(Role.AUDITOR)
    assert auditor.is_staff
    client = signed_in(auditor)
    url = "/admin/core/auditevent/"

    def listed(query=""):
        response = client.get(url + query)
        assert response.status_code == 200, response.status_code
        return {event.action for event in response.context["cl"].result_list}

    assert {"merchant.code_rotate", "site.code_rotate"} <= listed()
    assert listed(f"?actor={first.pk}") == {"merchant.code_rotate"}
    assert listed("?action=site.code_rotate") == {"site.code_rotate"}
    assert listed(f"?object_type=stalls.site&object_id={site.pk}") == {"site.code_rotate"}
    assert listed(f"?q={site.pk}&object_type=stalls.site") == {"site.code_rotate"}
    today = timezone.localdate()
    day = "?created_at__year={:%Y}&created_at__month={:%m}&created_at__day={:%d}"
    assert "site.code_rotate" in listed(day.format(today, today, today))
    tomorrow = today + dt.timedelta(days=1)
    assert listed(day.format(tomorrow, tomorrow, tomorrow)) == set()

    event = AuditEvent.objects.get(action="site.code_rotate")
    page = client.get(f"{url}{event.pk}/change/")
    assert page.status_code == 200
    assert second.phone not in page.content.decode()
    assert client.post(f"{url}{event.pk}/change/", {"action": "x"}).status_code == 403
    assert client.post(f"{url}{event.pk}/delete/", {"post": "yes"}).status_code == 403
    assert client.get(f"{url}add/").status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk, action="site.code_rotate").exists()


def test_staff_without_the_auditor_role_do_not_see_the_trail(make_user, trail):
    assert signed_in(make_user(Role.FINANCE)).get("/admin/core/auditevent/").status_code == 403
