"""Desk fixtures: an agent (Dan) at a community service centre, another agent (Eve), a
resident without a smartphone's know-how (Grandma Li), and helpers that open a session
and confirm it the way the resident would, reading back the SMS code."""

import pytest

from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres.codes import badge_url
from cadres.models import Cadre, Unit
from points.models import MoralCategory
from stalls.codes import site_code_url
from tests.conftest import next_phone
from tests.stalls.conftest import id_number, make_site_for

CENTRE = "康巴什区青春山街道社区服务中心"


@pytest.fixture
def agent(make_user):
    return make_user(Role.DESK_AGENT, display_name="张德明")


@pytest.fixture
def other_agent(make_user):
    return make_user(Role.DESK_AGENT, display_name="Eve Agent")


@pytest.fixture
def grandma(make_user):
    return make_user(display_name="李奶奶")


@pytest.fixture
def agent_api(client_for, agent):
    return client_for(agent)


@pytest.fixture
def cadre(db):
    unit = Unit.objects.create(name="康巴什区政务服务局", kind=Unit.Kind.BUREAU)
    return Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="D0001")


@pytest.fixture
def badge(cadre):
    return badge_url(cadre)


@pytest.fixture
def site(db):
    unit = Unit.objects.create(name="城市管理综合执法局", kind="urban_management")
    return make_site_for(unit, name="德荣早市")


@pytest.fixture
def site_code(site):
    return site_code_url(site)


@pytest.fixture
def category(db):
    return MoralCategory.objects.get_or_create(
        code="good_deeds", defaults={"name": "好人好事", "min_points": 2, "max_points": 100}
    )[0]


def last_code(phone: str) -> str:
    return [m["code"] for m in LocmemBackend.outbox if m["phone"] == phone][-1]


@pytest.fixture
def open_session(django_capture_on_commit_callbacks):
    """POST /desk/sessions as `client` for `phone` (the SMS sent on commit); the response."""

    def start(client, phone, centre=CENTRE):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(
                "/api/v1/desk/sessions", {"phone": phone, "centre": centre}, format="json"
            )

    return start


@pytest.fixture
def active_session(open_session):
    """A session of `client` for `phone`, confirmed with the code the resident read back."""

    def make(client, phone) -> int:
        response = open_session(client, phone)
        assert response.status_code == 201, response.json()
        session_id = response.json()["id"]
        confirmed = client.post(
            f"/api/v1/desk/sessions/{session_id}/confirm",
            {"code": last_code(phone)},
            format="json",
        )
        assert confirmed.status_code == 200, confirmed.json()
        return session_id

    return make


__all__ = ["CENTRE", "id_number", "last_code", "next_phone"]
