"""Notifications fixtures: the SMS file, Celery in-process (a real worker only where a
test starts one), no quiet hours unless a test sets them, and people and places of
the apps that notify."""

import json

import pytest
from django.conf import settings as django_settings

from accounts.roles import Role
from cadres import codes
from cadres.models import Cadre, Unit
from config.celery import app
from points import services as points_services
from points.models import MoralCategory, PrivilegeTier
from tests.stalls.conftest import make_site_for


@pytest.fixture(autouse=True)
def _notifications(settings, tmp_path):
    """SMS to a file; tasks run in this process; every hour is a daytime hour."""
    settings.SMS_BACKEND = "file"
    settings.SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    settings.NOTIFY_QUIET_START, settings.NOTIFY_QUIET_END = 24, 0
    settings.NOTIFY_SMS_BATCH_PAUSE = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    # The app reads Django's settings under the CELERY_ namespace: set it by that name.
    eager = app.conf.task_always_eager
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=True)
    assert app.conf.task_always_eager
    yield
    app.conf.update(CELERY_TASK_ALWAYS_EAGER=eager)


@pytest.fixture
def sms_sent():
    """The SMS the file backend wrote: a list of {"phone", "text"|"code", ...}."""

    def read() -> list[dict]:
        try:
            with open(django_settings.SMS_FILE_PATH, encoding="utf-8") as lines:
                return [json.loads(line) for line in lines]
        except FileNotFoundError:
            return []

    return read


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """`with committed():` runs what the block's transactions do after their commit."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def unit(db):
    return Unit.objects.create(name="城市管理综合执法局", kind="urban_management")


@pytest.fixture
def cadre(unit):
    return Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="E900001")


@pytest.fixture
def cadre_user(make_user, cadre):
    user = make_user(Role.CADRE, display_name="Carol", cadre=cadre.pk)
    cadre.refresh_from_db()  # now linked to the user
    return user


@pytest.fixture
def badge():
    return codes.badge_url


@pytest.fixture
def site(unit):
    return make_site_for(unit, name="德荣早市", capacity=1)


@pytest.fixture
def officer(make_user, unit):
    return make_user(Role.URBAN_OFFICER, unit=unit.pk, display_name="Olga Officer")


@pytest.fixture
def district_admin(make_user):
    return make_user(Role.DISTRICT_ADMIN, display_name="Dora Admin")


@pytest.fixture
def moral_reviewer(make_user):
    return make_user(Role.MORAL_REVIEWER, display_name="Rita Reviewer")


@pytest.fixture
def category(db):
    return MoralCategory.objects.create(
        code="good_deed", name="好人好事", min_points=2, max_points=100
    )


@pytest.fixture
def tiers(db):
    return [
        PrivilegeTier.objects.create(code="vip", name="Bank VIP", min_score=50, privileges=["vip"]),
        PrivilegeTier.objects.create(code="green", name="Green", min_score=100, privileges=["g"]),
    ]


@pytest.fixture
def merchant(db):
    return points_services.merchant_create(name="Ordos Cashmere Shop")


@pytest.fixture
def merchant_user(make_user, merchant):
    return make_user(Role.MERCHANT, display_name="Mia Merchant", merchant=merchant.pk)
