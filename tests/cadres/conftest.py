"""Cadres fixtures: units and cadres, badge codes, and people: a cadre signed in as the
cadre record (carol), a unit admin (uma), a district admin (dora)."""

import itertools
from unittest import mock

import pytest

from accounts.roles import Role
from cadres import codes
from cadres.models import Cadre, Unit

_numbers = itertools.count(1)


@pytest.fixture
def make_unit(db):
    def make(name=None, kind=Unit.Kind.BUREAU):
        return Unit.objects.create(name=name or f"Unit {next(_numbers)}", kind=kind)

    return make


@pytest.fixture
def make_cadre(db, make_unit):
    def make(unit=None, name=None, active=True, title="Clerk"):
        return Cadre.objects.create(
            unit=unit or make_unit(),
            name=name or f"Cadre {next(_numbers)}",
            title=title,
            employee_number=f"E{next(_numbers):06d}",
            active=active,
        )

    return make


@pytest.fixture
def unit(make_unit):
    return make_unit("康巴什区文化和旅游局")


@pytest.fixture
def cadre(make_cadre, unit):
    return make_cadre(unit=unit, name="王丽娜", title="科员")


@pytest.fixture
def cadre_user(make_user, cadre):
    """Carol, who signs in as the cadre record `cadre`."""
    return make_user(Role.CADRE, display_name="Carol", cadre=cadre.pk)


@pytest.fixture
def unit_admin(make_user, unit):
    return make_user(Role.UNIT_ADMIN, display_name="Uma", unit=unit.pk)


@pytest.fixture
def district_admin(make_user):
    return make_user(Role.DISTRICT_ADMIN, display_name="Dora")


@pytest.fixture
def badge():
    """The URL printed on a cadre's badge, as read from its QR code."""
    return codes.badge_url


def at(moment):
    """Run review_create (and the points it awards) as if it were `moment`."""
    return mock.patch("django.utils.timezone.now", return_value=moment)
