"""The agent's page, server-rendered: only desk agents, only their own sessions; the
forms file through the same services as the API."""

import pytest
from django.test import Client
from django.utils import translation

from cadres.models import Review
from core.parties import OWN_CASE_ERRORS, Party
from desk.models import AssistedAct, DeskSession
from tests.forms import nonce_for

from .conftest import last_code

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_page_asks_to_sign_in_then_refuses_non_agents(grandma):
    page = Client().get("/desk/")
    assert page.status_code == 200
    assert b'id="signin-phone"' in page.content
    assert signed_in(grandma).get("/desk/").status_code == 403
    assert signed_in(grandma).post("/desk/sessions", {"phone": "13800138000"}).status_code == 403
    assert not DeskSession.objects.exists()


def test_an_agent_confirms_and_files_a_review_on_the_page(
    agent, grandma, badge, django_capture_on_commit_callbacks
):
    client = signed_in(agent)
    with django_capture_on_commit_callbacks(execute=True):
        started = client.post(
            "/desk/sessions", {"phone": grandma.phone, "centre": "中心", **nonce_for(agent)}
        )
    session = DeskSession.objects.get()
    assert started.status_code == 302 and started["Location"] == f"/desk/sessions/{session.pk}/"
    assert b'id="confirm-form"' in client.get(started["Location"]).content
    client.post(
        f"/desk/sessions/{session.pk}/confirm",
        {"code": last_code(grandma.phone), **nonce_for(agent)},
    )
    page = client.get(f"/desk/sessions/{session.pk}/")
    assert b'data-status="active"' in page.content
    client.post(
        f"/desk/sessions/{session.pk}/review", {"code": badge, "rating": "3", **nonce_for(agent)}
    )
    review = Review.objects.get()
    assert (review.reviewer, review.rating, review.assisted) == (grandma, 3, True)
    assert AssistedAct.objects.get().object_id == review.pk
    # A bad rating is a message on the page, not a 500, and files nothing.
    answer = client.post(
        f"/desk/sessions/{session.pk}/review",
        {"code": badge, "rating": "x", **nonce_for(agent)},
        follow=True,
    )
    assert answer.status_code == 200
    assert Review.objects.count() == 1


def test_another_agents_session_page_is_forbidden(
    agent, other_agent, grandma, open_session, client_for
):
    response = open_session(client_for(agent), grandma.phone)
    pk = response.json()["id"]
    other = signed_in(other_agent)
    assert other.get(f"/desk/sessions/{pk}/").status_code == 403
    assert other.post(f"/desk/sessions/{pk}/confirm", {"code": "123456"}).status_code == 403
    assert Client().get(f"/desk/sessions/{pk}/").status_code == 403
    assert signed_in(agent).get("/desk/sessions/999999/").status_code == 404


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_page_refuses_a_session_for_the_agents_own_phone(agent, other_agent, language):
    """Nobody decides their own case on the page either: the agent's own phone opens no
    session and the page says why, in the request's language; another agent opens one."""
    with translation.override(language):
        why = str(OWN_CASE_ERRORS[Party.SUBJECT].default_detail)
    page = signed_in(agent).post(
        "/desk/sessions",
        {"phone": agent.phone, **nonce_for(agent)},
        follow=True,
        HTTP_ACCEPT_LANGUAGE=language,
    )
    assert page.status_code == 200
    assert why in page.content.decode()
    assert not DeskSession.objects.exists()
    signed_in(other_agent).post("/desk/sessions", {"phone": agent.phone, **nonce_for(other_agent)})
    assert DeskSession.objects.get().agent == other_agent
