"""Desk sessions: an agent opens one for a resident's phone, the resident confirms by
reading back the SMS code (or the agent checks the ID card), and only that agent uses it."""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.models import User
from accounts.sms import LocmemBackend
from core import ratelimit
from desk.models import AssistedAct, DeskSession

from .conftest import CENTRE, id_number, last_code, next_phone

pytestmark = pytest.mark.django_db


def confirm(client, session_id, **body):
    return client.post(f"/api/v1/desk/sessions/{session_id}/confirm", body, format="json")


def test_it_opens_a_session_and_texts_the_resident_a_desk_code(agent_api, grandma, open_session):
    """201 {id, phone_masked, status: awaiting_code, expires_at}; the SMS says a desk asks."""
    response = open_session(agent_api, grandma.phone)
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "awaiting_code"
    assert body["phone_masked"] == grandma.phone[:6] + "****" + grandma.phone[-4:]
    assert body["centre"] == CENTRE
    assert body["expires_at"].endswith("+08:00")
    (message,) = LocmemBackend.outbox
    assert message["phone"] == grandma.phone
    assert message["code"] in message["message"]
    assert "desk" in message["message"] or "服务" in message["message"]


def test_it_refuses_people_who_are_not_desk_agents(client_for, grandma, make_user, api):
    """A resident, a moral reviewer: 403; nobody signed in: 401; nothing is sent."""
    for user in (grandma, make_user("moral_reviewer")):
        response = client_for(user).post(
            "/api/v1/desk/sessions", {"phone": next_phone()}, format="json"
        )
        assert response.status_code == 403
        assert response.json()["code"] == "permission_denied"
        assert client_for(user).get("/api/v1/desk/sessions").status_code == 403
    assert api.post("/api/v1/desk/sessions", {"phone": next_phone()}).status_code == 401
    assert not LocmemBackend.outbox
    assert not DeskSession.objects.exists()


@pytest.mark.parametrize("phone", ["12345", 13800138000, "", "+86138001380001234"])
def test_it_refuses_a_bad_phone(agent_api, open_session, phone):
    response = open_session(agent_api, phone)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
    assert "phone" in response.json()["fields"]


def test_an_agent_cannot_act_for_themselves(agent_api, agent, open_session):
    response = open_session(agent_api, agent.phone)
    assert response.status_code == 403
    assert not DeskSession.objects.exists()


def test_the_sign_in_code_limits_apply_and_a_refusal_writes_nothing(agent_api, open_session):
    """One code a minute per phone and address: the second session is 429, not stored."""
    phone = next_phone()
    assert open_session(agent_api, phone).status_code == 201
    response = open_session(agent_api, phone)
    assert response.status_code == 429
    assert response.json()["code"] == "throttled"
    assert "Retry-After" in response
    assert DeskSession.objects.count() == 1


def test_the_code_read_back_makes_the_session_active(agent_api, grandma, open_session):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    response = confirm(agent_api, session_id, code=last_code(grandma.phone))
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "active"
    assert body["method"] == "sms"
    assert body["resident_name"] == "李奶奶"
    session = DeskSession.objects.get(pk=session_id)
    assert session.resident == grandma
    assert session.expires_at - session.confirmed_at == dt.timedelta(minutes=30)
    # An existing account: nothing registered, nothing logged.
    assert not AssistedAct.objects.exists()


def test_a_wrong_code_is_refused_and_counted(agent_api, grandma, open_session):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    wrong = "000000" if last_code(grandma.phone) != "000000" else "111111"
    response = confirm(agent_api, session_id, code=wrong)
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"
    assert DeskSession.objects.get(pk=session_id).confirmed_at is None
    assert grandma.phone and User.objects.get(pk=grandma.pk)  # untouched


def test_a_desk_code_never_signs_anyone_in(agent_api, grandma, open_session, api):
    """Reading the code aloud hands the agent no token: /auth/token refuses it."""
    open_session(agent_api, grandma.phone)
    response = api.post(
        "/api/v1/auth/token", {"phone": grandma.phone, "code": last_code(grandma.phone)}
    )
    assert response.status_code == 400
    assert response.json()["code"] == "otp_invalid"


def test_a_sign_in_code_does_not_confirm_a_desk_session(
    agent_api, grandma, open_session, api, django_capture_on_commit_callbacks
):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    desk_code = last_code(grandma.phone)
    # The resident also asks for a sign-in code from elsewhere (another address).
    with django_capture_on_commit_callbacks(execute=True):
        sent = api.post("/api/v1/auth/otp", {"phone": grandma.phone}, REMOTE_ADDR="10.0.0.9")
    assert sent.status_code == 202
    sign_in_code = last_code(grandma.phone)
    if sign_in_code != desk_code:
        response = confirm(agent_api, session_id, code=sign_in_code)
        assert response.status_code == 400
    # The desk code is still the one that works.
    assert confirm(agent_api, session_id, code=desk_code).status_code == 200


def test_a_new_phone_becomes_an_account_and_the_registration_is_logged(
    agent_api, agent, open_session
):
    phone = next_phone()
    session_id = open_session(agent_api, phone).json()["id"]
    assert confirm(agent_api, session_id, code=last_code(phone)).status_code == 200
    resident = User.objects.get(phone=phone)
    (act,) = AssistedAct.objects.all()
    assert (act.kind, act.object_id, act.agent, act.resident) == (
        "account_created",
        resident.pk,
        agent,
        resident,
    )


def test_confirming_twice_or_late_is_a_conflict(agent_api, grandma, open_session):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    code = last_code(grandma.phone)
    assert confirm(agent_api, session_id, code=code).status_code == 200
    response = confirm(agent_api, session_id, code=code)
    assert response.status_code == 409
    assert response.json()["code"] == "desk_session_already_confirmed"

    phone = next_phone()
    late = open_session(agent_api, phone).json()["id"]
    DeskSession.objects.filter(pk=late).update(confirm_by=timezone.now() - dt.timedelta(seconds=1))
    response = confirm(agent_api, late, code=last_code(phone))
    assert response.status_code == 409
    assert response.json()["code"] == "desk_session_expired"
    assert not User.objects.filter(phone=phone).exists()


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"code": "123456", "id_check": {"id_number": "x", "name": "李"}},
        {"code": "12345"},
        {"code": 123456.5},
        {"id_check": "150603198001011234"},
        {"id_check": {"name": "李奶奶"}},
    ],
)
def test_it_refuses_a_bad_confirmation_body(agent_api, grandma, open_session, body):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    response = confirm(agent_api, session_id, **body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert DeskSession.objects.get(pk=session_id).confirmed_at is None


def test_another_agents_session_is_forbidden(
    agent_api, client_for, other_agent, grandma, open_session
):
    """Eve cannot see, confirm, close or act in Dan's session: 403; a missing one: 404."""
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    eve = client_for(other_agent)
    base = f"/api/v1/desk/sessions/{session_id}"
    assert eve.get(base).status_code == 403
    response = confirm(eve, session_id, code=last_code(grandma.phone))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert eve.post(f"{base}/close").status_code == 403
    for act in ("reviews", "moral-claims", "stall-registrations"):
        assert eve.post(f"{base}/{act}", {}, format="json").status_code in (400, 403)
    assert eve.post(f"{base}/reviews", {"code": "x", "rating": 5}, format="json").status_code == 403
    assert eve.get("/api/v1/desk/sessions").json()["results"] == []
    assert DeskSession.objects.get(pk=session_id).confirmed_at is None
    assert agent_api.get("/api/v1/desk/sessions/999999").status_code == 404
    assert agent_api.get(base).json()["id"] == session_id


def test_the_agent_lists_their_own_sessions(agent_api, grandma, open_session):
    open_session(agent_api, grandma.phone)
    body = agent_api.get("/api/v1/desk/sessions").json()
    assert [s["phone_masked"][-4:] for s in body["results"]] == [grandma.phone[-4:]]
    assert grandma.phone not in str(body)


# --- The ID check: a resident without the phone -----------------------------------------


def test_an_id_check_registers_a_new_phone_bound_to_the_card(agent_api, open_session):
    phone = next_phone()
    number = id_number("19560302")
    session_id = open_session(agent_api, phone).json()["id"]
    response = confirm(
        agent_api, session_id, id_check={"id_number": number, "name": "李秀英", "id_consent": True}
    )
    assert response.status_code == 200, response.json()
    assert response.json()["method"] == "id_check"
    session = DeskSession.objects.get(pk=session_id)
    assert session.id_number_last4 == number[-4:]
    assert session.id_number_hash and number not in session.id_number_hash
    # The full number is stored nowhere in the desk's rows.
    for row in DeskSession.objects.values(), AssistedAct.objects.values():
        assert number not in str(list(row))
    assert AssistedAct.objects.get().kind == "account_created"

    # Next visit: the same card confirms; another card does not.
    again = open_session(agent_api, phone, centre="")
    assert again.status_code == 429  # one code a minute: the limits still count
    ratelimit.reset()  # a minute later
    later = open_session(agent_api, phone).json()["id"]
    other = confirm(
        agent_api, later, id_check={"id_number": id_number(), "name": "李秀英", "id_consent": True}
    )
    assert other.status_code == 409
    assert other.json()["code"] == "desk_id_check_refused"
    same = confirm(
        agent_api,
        later,
        id_check={"id_number": number.lower(), "name": "李秀英", "id_consent": True},
    )
    assert same.status_code == 200, same.json()


def test_an_id_check_never_takes_over_an_account_with_a_phone(agent_api, grandma, open_session):
    session_id = open_session(agent_api, grandma.phone).json()["id"]
    response = confirm(
        agent_api, session_id, id_check={"id_number": id_number(), "name": "李", "id_consent": True}
    )
    assert response.status_code == 409
    assert response.json()["code"] == "desk_id_check_refused"
    assert DeskSession.objects.get(pk=session_id).confirmed_at is None


def test_an_id_number_with_a_wrong_check_digit_is_invalid(agent_api, open_session):
    phone = next_phone()
    session_id = open_session(agent_api, phone).json()["id"]
    number = id_number()
    wrong = number[:17] + ("0" if number[17] != "0" else "1")
    response = confirm(
        agent_api, session_id, id_check={"id_number": wrong, "name": "李", "id_consent": True}
    )
    assert response.status_code == 400
    assert "id_check.id_number" in response.json()["fields"]
    blank = confirm(
        agent_api, session_id, id_check={"id_number": number, "name": "  ", "id_consent": True}
    )
    assert blank.status_code == 400
    assert "id_check.name" in blank.json()["fields"]
    assert not User.objects.filter(phone=phone).exists()


def test_a_closed_session_takes_no_more_acts(agent_api, grandma, active_session, badge):
    session_id = active_session(agent_api, grandma.phone)
    closed = agent_api.post(f"/api/v1/desk/sessions/{session_id}/close")
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    response = agent_api.post(
        f"/api/v1/desk/sessions/{session_id}/reviews", {"code": badge, "rating": 5}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "desk_session_expired"
