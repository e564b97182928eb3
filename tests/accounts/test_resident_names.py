"""A new resident is named in the district's language whatever the request's, and the
demo district names every person in Chinese."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from accounts.models import User
from accounts.services import user_get_or_create
from tests.conftest import next_phone

pytestmark = pytest.mark.django_db


def test_a_resident_signed_up_in_english_is_named_in_chinese():
    phone = next_phone()
    with translation.override("en"):
        user = user_get_or_create(phone=phone)
    assert user.display_name == f"居民{phone[-4:]}"


def test_the_demo_people_are_named_in_chinese():
    call_command("seed_demo", stdout=StringIO())
    names = list(User.objects.values_list("display_name", flat=True))
    assert names
    assert [name for name in names if re.search("[A-Za-z]", name)] == []
