"""Refresh tokens rotate and can be revoked; a signed token naming no user id is 401; an
access token verified once is taken at its word until it expires, never after."""

import datetime as dt
import time

import jwt
import pytest
from django.conf import settings
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from accounts import authentication

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(resident):
    refresh = RefreshToken.for_user(resident)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


def test_it_rotates_the_refresh_token(api, tokens):
    """A refresh answers {access, refresh} with a new refresh token that works once more."""
    response = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access", "refresh"}
    assert body["refresh"] != tokens["refresh"]
    again = api.post("/api/v1/auth/token/refresh", {"refresh": body["refresh"]}, format="json")
    assert again.status_code == 200


def test_it_refuses_a_refresh_token_used_once_already(api, tokens):
    """Reusing a rotated refresh token is 401 token_invalid."""
    api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    response = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_it_revokes_a_refresh_token_on_logout(api, tokens):
    """POST /auth/logout {refresh} is 204; the token no longer refreshes; a second
    logout with it, or a made-up token, is 401 token_invalid."""
    response = api.post("/api/v1/auth/logout", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 204
    response = api.post("/api/v1/auth/token/refresh", {"refresh": tokens["refresh"]}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    for refresh in (tokens["refresh"], "not-a-token", tokens["access"]):
        response = api.post("/api/v1/auth/logout", {"refresh": refresh}, format="json")
        assert response.status_code == 401
        assert response.json()["code"] == "token_invalid"


def _signed(token_class, user_id):
    """A token signed with the real key whose user_id claim is `user_id`."""
    token = token_class()
    token["user_id"] = user_id
    return jwt.encode(token.payload, settings.SIMPLE_JWT["SIGNING_KEY"], algorithm="HS256")


@pytest.mark.parametrize("user_id", ["abc", "1.5", "١", [1], {"a": 1}, True, 2**70, -3, None])
def test_it_refuses_a_signed_token_whose_user_id_is_not_a_number(api, user_id):
    """A validly signed access token naming no valid user id is 401 token_invalid, not 500."""
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {_signed(AccessToken, user_id)}")
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


@pytest.mark.parametrize("user_id", ["abc", 2**70, 999_999_999])
def test_it_refuses_a_signed_refresh_token_naming_nobody(api, user_id):
    """The same on /auth/token/refresh."""
    refresh = _signed(RefreshToken, user_id)
    response = api.post("/api/v1/auth/token/refresh", {"refresh": refresh}, format="json")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"


def test_a_token_verified_before_is_refused_once_it_expires(api, resident):
    """The process keeps the tokens it verified (accounts.authentication.verified_token)
    and checks their expiry at every use: 200 while valid, 401 token_invalid after."""
    token = AccessToken.for_user(resident)
    token.set_exp(lifetime=dt.timedelta(seconds=2))
    raw = str(token)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 200
    assert raw.encode() in authentication._verified
    assert api.get("/api/v1/me").status_code == 200
    while time.time() <= token["exp"]:
        time.sleep(0.2)
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
    assert raw.encode() not in authentication._verified


def test_other_bytes_are_verified_again(api, resident):
    """The same claims under a changed signature are not the token verified before."""
    raw = str(AccessToken.for_user(resident))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/me").status_code == 200
    header, payload, signature = raw.split(".")
    forged = ".".join((header, payload, signature[::-1]))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {forged}")
    response = api.get("/api/v1/me")
    assert response.status_code == 401
    assert response.json()["code"] == "token_invalid"
