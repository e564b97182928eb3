"""seed_demo loads the demo district; running it again changes nothing."""

from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command

from accounts.models import User
from accounts.roles import Role


def row_counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in {"accounts", "points", "cadres", "stalls", "desk"}
    }


@pytest.mark.django_db
def test_seed_demo_is_idempotent():
    call_command("seed_demo", stdout=StringIO())
    first = row_counts()
    call_command("seed_demo", stdout=StringIO())
    assert row_counts() == first
    assert sum(first.values()) > 0


@pytest.mark.django_db
def test_seed_demo_gives_every_role_a_person_and_prints_their_phones():
    """A newcomer can try every role: each has a demo user, printed with its phone."""
    out = StringIO()
    call_command("seed_demo", stdout=out)
    printed = out.getvalue()
    people = [line for line in printed.splitlines() if line.startswith("  +")]
    for role in Role.values:
        if role in (Role.RESIDENT, Role.DISTRICT_ADMIN):
            continue  # everyone; and the administrator `make run` creates (ensure_admin)
        holders = User.objects.filter(groups__name=role)
        assert holders.exists(), role
        for user in holders:
            (line,) = [line for line in people if user.phone in line]
            assert role in line
    merchant = User.objects.get(phone="+8613847700030")
    assert merchant.merchants.exists()
    assert "/api/v1/auth/otp" in printed
