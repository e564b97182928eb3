"""Roles as groups, grant_role, and administrators signing in with a password."""

import pytest
from django.contrib.auth.models import Group
from django.core.management import CommandError, call_command

from accounts.models import User
from accounts.roles import Role
from cadres.models import Cadre, Unit

pytestmark = pytest.mark.django_db


def test_every_role_is_a_group():
    assert set(Group.objects.values_list("name", flat=True)) >= set(Role.values)


def test_grant_role_creates_the_user_and_gives_the_role(resident_api):
    call_command("grant_role", "13900000001", "moral_reviewer")
    user = User.objects.get(phone="+8613900000001")
    assert set(user.groups.values_list("name", flat=True)) == {"resident", "moral_reviewer"}
    assert user.is_staff  # reviewers work in the admin


def test_grant_role_links_a_unit_admin_to_a_unit_and_a_cadre_to_a_record():
    unit = Unit.objects.create(name="康巴什区文化和旅游局")
    cadre = Cadre.objects.create(name="王芳", unit=unit, employee_number="KBS-001")
    call_command("grant_role", "+8613900000002", "unit_admin", "--unit", str(unit.pk))
    call_command("grant_role", "+8613900000003", "cadre", "--cadre", str(cadre.pk))
    assert User.objects.get(phone="+8613900000002").unit_memberships.get().unit == unit
    cadre.refresh_from_db()
    assert cadre.user.phone == "+8613900000003"


@pytest.mark.parametrize(
    "args",
    [
        ["12345", "resident"],
        ["+8613900000004", "emperor"],
        ["+8613900000004", "unit_admin", "--unit", "999999"],
        ["+8613900000004", "cadre", "--cadre", "999999"],
        ["+8613900000004", "resident", "--unit", "1"],
    ],
)
def test_grant_role_refuses_bad_arguments_and_writes_nothing(args):
    with pytest.raises((CommandError, SystemExit)):
        call_command("grant_role", *args)
    assert not User.objects.filter(phone="+8613900000004").exists()


def test_me_lists_the_roles(make_user, client_for):
    user = make_user("partner")
    assert client_for(user).get("/api/v1/me").json()["roles"] == ["resident", "partner"]


def test_createsuperuser_works_with_a_phone_number(client):
    call_command("createsuperuser", "--noinput", "--phone", "+8613900000009", stdout=None)
    admin = User.objects.get(phone="+8613900000009")
    admin.set_password("a-long-admin-password")
    admin.save()
    assert client.login(phone="+8613900000009", password="a-long-admin-password")
    assert client.get("/admin/").status_code == 200
