"""Acts an agent files in an active session: the resident's review, moral claim and stall
registration, through the resident's own services (same rules, same errors), each
logged; the agent's daily limit; what the resident sees in GET /me/assisted."""

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.roles import Role
from cadres.models import Review
from desk.models import AssistedAct, DeskSession
from points.models import MoralClaim
from points.selectors import resident_summary
from stalls.models import Registration

from .conftest import CENTRE, id_number, next_phone

pytestmark = pytest.mark.django_db


def act(client, session_id, what, **body):
    return client.post(f"/api/v1/desk/sessions/{session_id}/{what}", body, format="json")


def test_it_files_the_residents_review_marked_assisted(
    agent_api, agent, grandma, active_session, badge, cadre
):
    """201 {id, points_awarded, assisted}; the review is the resident's, points to them."""
    session_id = active_session(agent_api, grandma.phone)
    response = act(agent_api, session_id, "reviews", code=badge, rating=2, tags=["attitude"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["assisted"] is True
    assert body["points_awarded"] == 10
    review = Review.objects.get(pk=body["id"])
    assert (review.reviewer, review.cadre, review.rating, review.assisted) == (
        grandma,
        cadre,
        2,
        True,
    )
    assert resident_summary(user=grandma).redeemable == 10
    assert resident_summary(user=agent).redeemable == 0
    (logged,) = AssistedAct.objects.all()
    assert (logged.kind, logged.object_id, logged.agent, logged.resident) == (
        "review",
        review.pk,
        agent,
        grandma,
    )


def test_the_residents_own_rules_apply_and_a_refusal_logs_nothing(
    agent_api, grandma, active_session, badge, client_for
):
    """One review a day per resident and cadre, whoever files it: 409, no second act."""
    session_id = active_session(agent_api, grandma.phone)
    assert act(agent_api, session_id, "reviews", code=badge, rating=5).status_code == 201
    again = act(agent_api, session_id, "reviews", code=badge, rating=4)
    assert again.status_code == 409
    assert again.json()["code"] == "already_reviewed_today"
    assert AssistedAct.objects.count() == 1
    assert Review.objects.count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"rating": 6}, 400, "invalid"),
        ({"rating": "five"}, 400, "invalid"),
        ({"tags": ["rude"]}, 400, "invalid"),
        ({"comment": "长" * 501}, 400, "invalid"),
        ({"code": "https://evil.example/q/c.1-1.xx"}, 404, "code_invalid"),
    ],
)
def test_it_refuses_a_bad_review(agent_api, grandma, active_session, badge, body, status, code):
    session_id = active_session(agent_api, grandma.phone)
    payload = {"code": badge, "rating": 5, **body}
    response = act(agent_api, session_id, "reviews", **payload)
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    assert not Review.objects.exists()
    assert not AssistedAct.objects.exists()


def test_an_unconfirmed_or_expired_session_takes_no_acts(
    agent_api, grandma, open_session, active_session, badge
):
    waiting = open_session(agent_api, grandma.phone).json()["id"]
    response = act(agent_api, waiting, "reviews", code=badge, rating=5)
    assert response.status_code == 409
    assert response.json()["code"] == "desk_session_not_confirmed"

    phone = next_phone()
    session_id = active_session(agent_api, phone)
    DeskSession.objects.filter(pk=session_id).update(
        expires_at=timezone.now() - dt.timedelta(seconds=1)
    )
    response = act(agent_api, session_id, "reviews", code=badge, rating=5)
    assert response.status_code == 409
    assert response.json()["code"] == "desk_session_expired"
    assert agent_api.get(f"/api/v1/desk/sessions/{session_id}").json()["status"] == "expired"
    assert not Review.objects.exists()


def test_it_files_the_residents_moral_claim(agent_api, grandma, active_session, category):
    session_id = active_session(agent_api, grandma.phone)
    response = act(
        agent_api,
        session_id,
        "moral-claims",
        category="good_deeds",
        description="帮邻居把迷路的老人送回家",
        occurred_on=str(timezone.localdate()),
    )
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    claim = MoralClaim.objects.get(pk=response.json()["id"])
    assert claim.resident == grandma
    assert AssistedAct.objects.get().kind == "moral_claim"
    # The resident sees it among their own claims.
    assert grandma.pk == claim.resident_id


@pytest.mark.parametrize(
    "body",
    [
        {"category": "flying"},
        {"occurred_on": "2999-01-01"},
        {"occurred_on": "yesterday"},
        {"description": ""},
    ],
)
def test_it_refuses_a_bad_moral_claim(agent_api, grandma, active_session, category, body):
    session_id = active_session(agent_api, grandma.phone)
    payload = {"category": "good_deeds", "description": "好事", "occurred_on": "2026-01-02"}
    payload.update(body)
    response = act(agent_api, session_id, "moral-claims", **payload)
    assert response.status_code == 400, response.json()
    assert not MoralClaim.objects.exists()
    assert not AssistedAct.objects.exists()


def test_it_registers_a_stall_for_the_vendor(agent_api, grandma, active_session, site_code, site):
    session_id = active_session(agent_api, grandma.phone)
    body = {
        "site_code": site_code,
        "vendor_name": "李秀英",
        "id_number": id_number("19660101"),
        "goods_category": "fruit_vegetables",
        "id_consent": True,
    }
    response = act(agent_api, session_id, "stall-registrations", **body)
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "pending"
    registration = Registration.objects.get(pk=response.json()["id"])
    assert (registration.vendor, registration.site) == (grandma, site)
    assert AssistedAct.objects.get().kind == "stall_registration"
    # The same rules as the vendor's own endpoint: one open registration per site.
    again = act(agent_api, session_id, "stall-registrations", **body)
    assert again.status_code == 409
    assert again.json()["code"] == "registration_exists"
    bad = act(agent_api, session_id, "stall-registrations", **{**body, "id_number": "1" * 18})
    assert bad.status_code == 400
    assert "id_number" in bad.json()["fields"]
    assert AssistedAct.objects.count() == 1


def test_an_agent_has_a_daily_limit(agent_api, settings, active_session, badge, category):
    """DESK_DAILY_LIMIT acts a Shanghai day per agent: the next is 409, nothing written."""
    settings.DESK_DAILY_LIMIT = 1
    first = active_session(agent_api, next_phone())
    second = active_session(agent_api, next_phone())
    assert act(agent_api, first, "reviews", code=badge, rating=5).status_code == 201
    response = act(agent_api, second, "reviews", code=badge, rating=5)
    assert response.status_code == 409
    assert response.json()["code"] == "desk_daily_limit"
    claim = act(
        agent_api,
        second,
        "moral-claims",
        category="good_deeds",
        description="好事",
        occurred_on="2026-01-02",
    )
    assert claim.json()["code"] == "desk_daily_limit"
    assert Review.objects.count() == 1
    assert not MoralClaim.objects.exists()
    # Registering the new phones' accounts was logged, not limited.
    assert AssistedAct.objects.filter(kind="account_created").count() == 2
    assert AssistedAct.objects.exclude(kind="account_created").count() == 1


def test_acts_of_non_agents_are_forbidden(
    client_for, grandma, make_user, agent_api, active_session, badge
):
    session_id = active_session(agent_api, grandma.phone)
    for user in (grandma, make_user(Role.DISTRICT_ADMIN)):
        response = act(client_for(user), session_id, "reviews", code=badge, rating=5)
        assert response.status_code == 403
    assert not Review.objects.exists()


def test_the_resident_sees_what_was_done_for_them(
    agent_api, grandma, active_session, badge, client_for, other_resident, api
):
    """GET /me/assisted: own acts only, the agent's name masked, the centre, the time."""
    session_id = active_session(agent_api, grandma.phone)
    review_id = act(agent_api, session_id, "reviews", code=badge, rating=5).json()["id"]
    body = client_for(grandma).get("/api/v1/me/assisted").json()
    (row,) = body["results"]
    assert row["kind"] == "review"
    assert row["object_id"] == review_id
    assert row["agent_name"] == "张**"
    assert row["centre"] == CENTRE
    assert row["created_at"].endswith("+08:00")
    assert body["next"] is None
    assert client_for(other_resident).get("/api/v1/me/assisted").json()["results"] == []
    assert api.get("/api/v1/me/assisted").status_code == 401


def test_the_list_of_acts_reads_a_fixed_number_of_queries(
    agent_api, grandma, active_session, badge, client_for, django_assert_max_num_queries, cadre
):
    session_id = active_session(agent_api, grandma.phone)
    act(agent_api, session_id, "reviews", code=badge, rating=5)
    client = client_for(grandma)
    with django_assert_max_num_queries(4):
        assert len(client.get("/api/v1/me/assisted").json()["results"]) == 1


def test_the_admin_shows_the_log_read_only_to_a_district_admin(
    agent_api, grandma, active_session, badge, make_user
):
    session_id = active_session(agent_api, grandma.phone)
    act(agent_api, session_id, "reviews", code=badge, rating=5)
    admin = Client()
    admin.force_login(make_user(Role.DISTRICT_ADMIN))
    page = admin.get("/admin/desk/assistedact/")
    assert page.status_code == 200
    assert admin.get("/admin/desk/assistedact/add/").status_code == 403
    logged = AssistedAct.objects.get()
    change = admin.get(f"/admin/desk/assistedact/{logged.pk}/change/")
    assert change.status_code == 200
    assert (
        admin.post(f"/admin/desk/assistedact/{logged.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert admin.get("/admin/desk/desksession/").status_code == 200
    resident = Client()
    resident.force_login(grandma)
    assert resident.get("/admin/desk/assistedact/").status_code == 302


def test_the_review_honours_an_idempotency_key(agent_api, grandma, active_session, badge):
    """The same key and body again returns the first answer and files nothing more."""
    session_id = active_session(agent_api, grandma.phone)
    url = f"/api/v1/desk/sessions/{session_id}/reviews"
    first = agent_api.post(
        url, {"code": badge, "rating": 5}, format="json", HTTP_IDEMPOTENCY_KEY="desk-1"
    )
    again = agent_api.post(
        url, {"code": badge, "rating": 5}, format="json", HTTP_IDEMPOTENCY_KEY="desk-1"
    )
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert Review.objects.count() == 1
    assert AssistedAct.objects.filter(kind="review").count() == 1


def test_an_agent_who_is_the_cadre_cannot_file_reviews_of_themselves(
    agent_api, agent, grandma, active_session, badge, cadre
):
    cadre.user = agent
    cadre.save(update_fields=["user"])
    session_id = active_session(agent_api, grandma.phone)
    response = act(agent_api, session_id, "reviews", code=badge, rating=5)
    assert response.status_code == 403
    assert response.json()["code"] == "own_case_subject"
    assert not Review.objects.exists()
