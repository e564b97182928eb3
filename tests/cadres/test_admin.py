"""The admin: a unit_admin manages their own unit's cadres only; badges, overdue reviews."""

import datetime as dt

import pytest
from django.test import Client

from accounts.roles import Role
from cadres import services
from cadres.models import Cadre

from .conftest import at

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_a_unit_admin_sees_only_their_units_cadres(unit_admin, cadre, make_cadre):
    other = make_cadre(name="别人家的干部")
    client = admin_client(unit_admin)
    html = client.get("/admin/cadres/cadre/").content.decode()
    assert cadre.name in html and other.name not in html
    assert client.get(f"/admin/cadres/cadre/{other.pk}/change/").status_code == 302
    page = client.get(f"/admin/cadres/cadre/{cadre.pk}/change/")
    assert page.status_code == 200
    assert "data:image/png;base64," in page.content.decode()


def test_a_unit_admin_cannot_move_a_cadre_to_another_unit(unit_admin, cadre, make_unit):
    foreign = make_unit("外单位")
    response = admin_client(unit_admin).post(
        f"/admin/cadres/cadre/{cadre.pk}/change/",
        {
            "name": cadre.name,
            "title": cadre.title,
            "unit": foreign.pk,
            "employee_number": cadre.employee_number,
            "active": "on",
        },
    )
    assert response.status_code == 200  # the form comes back with an error
    cadre.refresh_from_db()
    assert cadre.unit_id != foreign.pk


def test_a_unit_admin_never_sees_the_reviewer(unit_admin, district_admin, resident, cadre):
    review = services.review_create(cadre=cadre, reviewer=resident, rating=2)
    html = (
        admin_client(unit_admin).get(f"/admin/cadres/review/{review.pk}/change/").content.decode()
    )
    assert resident.phone not in html and "Alice" not in html
    html = (
        admin_client(district_admin)
        .get(f"/admin/cadres/review/{review.pk}/change/")
        .content.decode()
    )
    assert "Alice" in html


def test_the_print_badges_action_gives_a_pdf(district_admin, cadre):
    response = admin_client(district_admin).post(
        "/admin/cadres/cadre/", {"action": "print_badges", "_selected_action": [cadre.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_rotate_action_bumps_the_version(district_admin, cadre):
    admin_client(district_admin).post(
        "/admin/cadres/cadre/", {"action": "rotate_codes", "_selected_action": [cadre.pk]}
    )
    assert Cadre.objects.get(pk=cadre.pk).code_version == 2


def test_it_records_who_replaced_a_badge_code_in_the_admin_and_the_api(
    district_admin, unit_admin, cadre, client_for
):
    """The admin's action and POST /cadres/{id}/qr/rotate both record the acting user and
    the time on the cadre; the admin shows them."""
    client = admin_client(district_admin)
    client.post("/admin/cadres/cadre/", {"action": "rotate_codes", "_selected_action": [cadre.pk]})
    cadre.refresh_from_db()
    assert (cadre.code_version, cadre.code_rotated_by) == (2, district_admin)
    assert cadre.code_rotated_at is not None
    assert client_for(unit_admin).post(f"/api/v1/cadres/{cadre.pk}/qr/rotate").status_code == 200
    cadre.refresh_from_db()
    assert (cadre.code_version, cadre.code_rotated_by) == (3, unit_admin)
    assert str(unit_admin) in client.get(f"/admin/cadres/cadre/{cadre.pk}/change/").content.decode()


def test_the_unit_list_counts_overdue_reviews(district_admin, resident, cadre):
    start = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    with at(start):
        services.review_create(cadre=cadre, reviewer=resident, rating=1)
    services.reviews_mark_overdue(now=start + dt.timedelta(hours=100))
    client = admin_client(district_admin)
    assert client.get("/admin/cadres/unit/").status_code == 200
    assert client.get("/admin/cadres/overduereview/").status_code == 200
    assert cadre.name in client.get("/admin/cadres/overduereview/").content.decode()


def test_a_plain_resident_has_no_admin(resident):
    assert admin_client(resident).get("/admin/cadres/cadre/").status_code == 302


def test_grant_role_links_still_work(make_user, cadre, unit):
    user = make_user(Role.UNIT_ADMIN, unit=unit.pk)
    from cadres.selectors import unit_ids_for

    assert unit_ids_for(user=user, role=Role.UNIT_ADMIN) == {unit.pk}
    officer = make_user(Role.CADRE, cadre=cadre.pk)
    cadre.refresh_from_db()
    assert cadre.user == officer


def test_only_district_admins_link_users_to_cadres(unit_admin, cadre, make_user):
    """A unit admin cannot make someone else sign in as a cadre of the unit."""
    stranger = make_user()
    admin_client(unit_admin).post(
        f"/admin/cadres/cadre/{cadre.pk}/change/",
        {
            "name": cadre.name,
            "title": cadre.title,
            "unit": cadre.unit_id,
            "employee_number": cadre.employee_number,
            "active": "on",
            "user": stranger.pk,
        },
    )
    cadre.refresh_from_db()
    assert cadre.user_id is None
