"""The desk's acts in the audit trail (docs/audit.md), and GET /me/data-access: the
resident sees a desk agent's acts and an officer's reading of their ID number, with the
role and unit of who did it, never their name."""

import pytest
from django.utils import timezone

from accounts.roles import Role
from core.audit import AuditEvent
from stalls.codes import site_code_url
from stalls.models import Registration

from .conftest import id_number, next_phone

pytestmark = pytest.mark.django_db


def act(client, session_id, what, **body):
    return client.post(f"/api/v1/desk/sessions/{session_id}/{what}", body, format="json")


def events(**filters):
    return list(AuditEvent.objects.filter(**filters).order_by("pk"))


def test_each_desk_act_is_one_event_for_the_resident(
    agent_api, agent, grandma, active_session, badge, category, site_code
):
    session_id = active_session(agent_api, grandma.phone)
    filed = [
        act(agent_api, session_id, "reviews", code=badge, rating=5),
        act(
            agent_api,
            session_id,
            "moral-claims",
            category="good_deeds",
            description="帮邻居把迷路的老人送回家",
            occurred_on=str(timezone.localdate()),
        ),
        act(
            agent_api,
            session_id,
            "stall-registrations",
            site_code=site_code,
            vendor_name="李秀英",
            id_number=id_number("19660101"),
            goods_category="fruit_vegetables",
            id_consent=True,
        ),
    ]
    assert [response.status_code for response in filed] == [201, 201, 201]
    recorded = events(actor=agent)
    assert [event.action for event in recorded] == [
        "desk.review",
        "desk.moral_claim",
        "desk.stall_registration",
    ]
    for event, response in zip(recorded, filed, strict=True):
        assert event.subject == grandma
        assert event.actor_role == Role.DESK_AGENT
        assert event.purpose == "assisted service desk"
        assert event.object_type == "desk.assistedact"
        assert event.summary["after"]["object_id"] == response.json()["id"]


def test_a_refused_desk_act_leaves_no_event(agent_api, agent, grandma, active_session, badge):
    session_id = active_session(agent_api, grandma.phone)
    assert act(agent_api, session_id, "reviews", code=badge, rating=5).status_code == 201
    again = act(agent_api, session_id, "reviews", code=badge, rating=5)
    assert again.status_code == 409
    assert [event.action for event in events(actor=agent)] == ["desk.review"]


def test_an_id_check_is_an_event(agent_api, agent, open_session):
    phone = next_phone()
    session_id = open_session(agent_api, phone).json()["id"]
    response = agent_api.post(
        f"/api/v1/desk/sessions/{session_id}/confirm",
        {"id_check": {"id_number": id_number("19500101"), "name": "李秀英", "id_consent": True}},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert [event.action for event in events(actor=agent)] == [
        "desk.id_check",
        "desk.account_created",
    ]
    assert events(actor=agent)[0].subject.phone == phone


def test_the_resident_sees_who_read_or_changed_their_data(
    agent_api, agent, grandma, active_session, site, site_code, make_user, client_for, api
):
    """A desk agent files a stall registration for Grandma Li; an officer of the site's
    unit opens the queue, where her whole ID number is: both appear, with role, unit
    and purpose; no name or phone of theirs; her own acts and other people's never."""
    officer = make_user(Role.URBAN_OFFICER, unit=site.unit_id, display_name="Olga Officer")
    session_id = active_session(agent_api, grandma.phone)
    number = id_number("19660101")
    filed = act(
        agent_api,
        session_id,
        "stall-registrations",
        site_code=site_code,
        vendor_name="李秀英",
        id_number=number,
        goods_category="fruit_vegetables",
        id_consent=True,
    )
    assert filed.status_code == 201, filed.json()
    queue = client_for(officer).get("/api/v1/stalls/registrations?status=pending").json()
    assert [row["id_number"] for row in queue["results"]] == [number]
    # Her own act is no one else's reading.
    assert client_for(grandma).get("/api/v1/stalls/registrations/mine").status_code == 200

    response = client_for(grandma).get("/api/v1/me/data-access")
    assert response.status_code == 200
    body = response.json()
    rows = body["results"]
    assert [(row["action"], row["role"], row["unit"]) for row in rows] == [
        ("registration.reveal", "urban_officer", site.unit.name),
        ("desk.stall_registration", "desk_agent", ""),
    ]
    registration = Registration.objects.get()
    assert rows[0]["object_type"] == "stalls.registration"
    assert rows[0]["object_id"] == str(registration.pk)
    assert rows[0]["purpose"] == "deciding a stall registration"
    assert rows[1]["purpose"] == "assisted service desk"
    assert rows[0]["time"].endswith("+08:00")
    assert body["next"] is None
    text = response.content.decode()
    for secret in ("Olga", officer.phone, "张德明", agent.phone):
        assert secret not in text
    assert set(rows[0]) == {"time", "action", "object_type", "object_id", "role", "unit", "purpose"}

    assert client_for(agent).get("/api/v1/me/data-access").json()["results"] == []
    assert api.get("/api/v1/me/data-access").status_code == 401


def test_data_access_pages(client_for, grandma, make_user, site, register):
    officer = make_user(Role.URBAN_OFFICER, unit=site.unit_id)
    assert register(grandma, site).status_code == 201
    officer_api = client_for(officer)
    for _ in range(3):
        assert officer_api.get("/api/v1/stalls/registrations").status_code == 200
    first = client_for(grandma).get("/api/v1/me/data-access?page_size=2").json()
    assert len(first["results"]) == 2
    second = client_for(grandma).get(first["next"]).json()
    assert len(second["results"]) == 1
    assert second["next"] is None
    bad = client_for(grandma).get("/api/v1/me/data-access?cursor=nonsense")
    assert bad.status_code == 400


@pytest.fixture
def register(client_for):
    def post(user, site):
        body = {
            "site_code": site_code_url(site),
            "vendor_name": "李秀英",
            "id_number": id_number(),
            "goods_category": "fruit_vegetables",
        }
        return client_for(user).post("/api/v1/stalls/registrations", body, format="json")

    return post
