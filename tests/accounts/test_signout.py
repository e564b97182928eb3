"""Logout ends a sign-in session: its access tokens are refused at once (401
`token_invalid`) everywhere, the stateless review and grab included, while the user's
other sessions stay signed in; Redis down neither lets a signed-out token through nor
half-revokes a session."""

from datetime import timedelta

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import SignedOutSession
from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres import codes
from cadres.models import Cadre, Unit
from points.campaigns import campaign_create
from tests.redis_server import REDIS_SERVER

pytestmark = pytest.mark.django_db


def bearer(access) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def signed_in_by_sms(api, phone, django_capture_on_commit_callbacks) -> dict:
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/api/v1/auth/otp", {"phone": phone}, format="json").status_code == 202
    code = LocmemBackend.outbox[-1]["code"]
    response = api.post("/api/v1/auth/token", {"phone": phone, "code": code}, format="json")
    assert response.status_code == 200
    return response.json()


def another_session(user) -> dict:
    refresh = services.tokens_issue(user=user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def logout(api, refresh):
    return api.post("/api/v1/auth/logout", {"refresh": refresh}, format="json")


def assert_token_invalid(response):
    assert response.status_code == 401, response.content
    assert response.json()["code"] == "token_invalid"


@pytest.fixture
def cadre(db):
    unit = Unit.objects.create(name="康巴什区政务服务局", kind=Unit.Kind.BUREAU)
    return Cadre.objects.create(unit=unit, name="王丽娜", title="科员", employee_number="E900001")


@pytest.fixture
def campaign(make_user):
    now = timezone.now()
    return campaign_create(
        title="Grab",
        starts_at=now - timedelta(minutes=1),
        ends_at=now + timedelta(hours=1),
        points_per_claim=10,
        claims=5,
        created_by=make_user(Role.DISTRICT_ADMIN),
    )


def review(client, cadre):
    body = {"code": codes.badge_url(cadre), "rating": 5, "tags": ["attitude"], "comment": "好"}
    return client.post(f"/api/v1/cadres/{cadre.pk}/reviews", body, format="json")


def claim(client, campaign):
    return client.post(f"/api/v1/points/campaigns/{campaign.pk}/claim")


def test_it_refuses_a_signed_out_sessions_access_tokens_everywhere(
    api, resident, cadre, campaign, django_capture_on_commit_callbacks
):
    """Signed in by SMS, refreshed once, then signed out: both access tokens of that
    session are 401 token_invalid on /me, the review and the grab (with and without an
    Idempotency-Key); a second session of the same resident still reviews and grabs."""
    first = signed_in_by_sms(api, resident.phone, django_capture_on_commit_callbacks)
    rotated = api.post("/api/v1/auth/token/refresh", {"refresh": first["refresh"]}, format="json")
    assert rotated.status_code == 200
    rotated = rotated.json()
    other = another_session(resident)
    assert bearer(first["access"]).get("/api/v1/me").status_code == 200

    assert logout(api, rotated["refresh"]).status_code == 204

    for access in (first["access"], rotated["access"]):
        client = bearer(access)
        assert_token_invalid(client.get("/api/v1/me"))
        assert_token_invalid(review(client, cadre))
        assert_token_invalid(claim(client, campaign))
        assert_token_invalid(
            client.post(f"/api/v1/points/campaigns/{campaign.pk}/claim", HTTP_IDEMPOTENCY_KEY="k-1")
        )
    still = bearer(other["access"])
    assert still.get("/api/v1/me").status_code == 200
    assert review(still, cadre).status_code == 201
    assert claim(still, campaign).status_code == 201


def test_it_forgets_a_signed_out_session_once_its_tokens_have_expired(api, resident):
    """The denial lasts as long as an access token lives (JWT_ACCESS_MINUTES); the daily
    flush then drops the row."""
    session = another_session(resident)
    assert logout(api, session["refresh"]).status_code == 204
    row = SignedOutSession.objects.get()
    remaining = row.expires_at - timezone.now()
    assert timedelta(minutes=29) < remaining <= timedelta(minutes=30)
    assert services.signed_out_sessions_flush() == 0
    SignedOutSession.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.signed_out_sessions_flush() == 1


needs_redis_server = pytest.mark.skipif(
    REDIS_SERVER is None, reason="needs redis-server (apt-get install redis)"
)


@needs_redis_server
def test_it_keeps_refusing_a_signed_out_token_while_redis_is_down(doomed_redis, api, resident):
    """Signed out with Redis up, then Redis dies: the check falls back on the database,
    so the signed-out token stays refused while another session works."""
    session = another_session(resident)
    other = another_session(resident)
    assert logout(api, session["refresh"]).status_code == 204
    assert_token_invalid(bearer(session["access"]).get("/api/v1/me"))
    doomed_redis.kill()
    assert_token_invalid(bearer(session["access"]).get("/api/v1/me"))
    assert bearer(other["access"]).get("/api/v1/me").status_code == 200


@needs_redis_server
def test_it_revokes_nothing_when_redis_cannot_take_the_sign_out(doomed_redis, api, resident):
    """Logout while Redis is down is 503 service_unavailable and revokes nothing (the
    refresh token still refreshes), so Redis's quick answer is never wrong."""
    session = another_session(resident)
    doomed_redis.kill()
    response = logout(api, session["refresh"])
    assert response.status_code == 503
    assert response.json()["code"] == "service_unavailable"
    assert not SignedOutSession.objects.exists()
    refreshed = api.post("/api/v1/auth/token/refresh", {"refresh": session["refresh"]})
    assert refreshed.status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"refresh": ""}, {"refresh": ["a", "b"]}, {"refresh": {"a": 1}}, {"refresh": "x" * 4097}],
    ids=["missing", "empty", "list", "object", "too long"],
)
def test_it_refuses_a_logout_without_a_refresh_token_and_revokes_nothing(api, resident, body):
    """Bad input is 400 `invalid` with the contract's body (the field named), and the
    user's session stays signed in: no signed-out row, the refresh token still works."""
    session = another_session(resident)
    response = api.post("/api/v1/auth/logout", body, format="json")
    assert response.status_code == 400, response.content
    assert response.json()["code"] == "invalid"
    assert set(response.json()["fields"]) == {"refresh"}
    assert not SignedOutSession.objects.exists()
    assert bearer(session["access"]).get("/api/v1/me").status_code == 200
    refreshed = api.post("/api/v1/auth/token/refresh", {"refresh": session["refresh"]})
    assert refreshed.status_code == 200


def test_it_says_why_a_logout_is_refused_in_the_request_language(api, resident):
    """A refused logout reads in Chinese by default and in English when asked; a bad
    token writes nothing either."""
    zh = logout(api, "not-a-token").json()
    assert zh["code"] == "token_invalid"
    assert zh["detail"] == "令牌无效或已过期。"
    en = api.post(
        "/api/v1/auth/logout", {"refresh": "not-a-token"}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert en["detail"] == "The token is invalid or expired."
    missing = api.post("/api/v1/auth/logout", {}, format="json").json()
    assert missing["fields"]["refresh"] == ["该字段是必填项。"]
    missing_en = api.post(
        "/api/v1/auth/logout", {}, format="json", HTTP_ACCEPT_LANGUAGE="en"
    ).json()
    assert missing_en["fields"]["refresh"] == ["This field is required."]
    assert not SignedOutSession.objects.exists()
