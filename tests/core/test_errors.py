"""Every error is the body of API.md, {"code", "detail", "fields"}: never HTML or a trace."""

import pytest

pytestmark = pytest.mark.django_db


def assert_error(response, status, code):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def test_it_answers_an_unknown_api_path_with_404_not_found(api):
    assert_error(api.get("/api/v1/no-such-thing"), 404, "not_found")


def test_it_answers_a_huge_id_in_a_path_with_404(api):
    assert_error(api.get("/api/v1/no-such-thing/99999999999999999999999"), 404, "not_found")


def test_it_answers_a_wrong_method_with_405(api):
    assert_error(api.get("/api/v1/auth/otp"), 405, "method_not_allowed")


def test_it_answers_a_wrong_content_type_with_415(api):
    response = api.generic("POST", "/api/v1/auth/otp", "phone=1", content_type="text/plain")
    assert_error(response, 415, "unsupported_media_type")


def test_it_answers_malformed_json_with_400_invalid(api):
    response = api.generic(
        "POST", "/api/v1/auth/otp", '{"phone": ', content_type="application/json"
    )
    assert_error(response, 400, "invalid")


def test_it_answers_a_huge_body_with_413(api):
    response = api.generic(
        "POST",
        "/api/v1/auth/otp",
        '{"phone": "' + "1" * 400_000 + '"}',
        content_type="application/json",
    )
    assert_error(response, 413, "request_too_large")


def test_it_answers_validation_errors_with_fields(api):
    body = assert_error(api.post("/api/v1/auth/otp", {}, format="json"), 400, "invalid")
    assert body["fields"] == {"phone": ["该字段是必填项。"]}


def test_it_ignores_unknown_fields(api):
    body = assert_error(
        api.post("/api/v1/auth/otp", {"phone": "x", "extra": 1}, format="json"), 400, "invalid"
    )
    assert list(body["fields"]) == ["phone"]


def test_it_answers_no_token_with_401_not_authenticated(api):
    response = api.get("/api/v1/me")
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("header", ["Bearer nonsense", "Bearer a.b.c", "Bearer ", "Basic abc"])
def test_it_answers_a_bad_token_with_401(api, header):
    response = api.get("/api/v1/me", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json()["code"] in {"token_invalid", "not_authenticated"}


def test_it_answers_an_expired_token_with_401_token_invalid(api, resident):
    from datetime import timedelta

    from rest_framework_simplejwt.tokens import AccessToken

    token = AccessToken.for_user(resident)
    token.set_exp(lifetime=-timedelta(seconds=1))
    assert_error(api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {token}"), 401, "token_invalid")


def test_it_answers_a_refresh_token_used_as_access_with_401(api, resident):
    from rest_framework_simplejwt.tokens import RefreshToken

    response = api.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {RefreshToken.for_user(resident)}")
    assert_error(response, 401, "token_invalid")


def test_it_answers_a_bad_refresh_token_with_401(api):
    assert_error(
        api.post("/api/v1/auth/token/refresh", {"refresh": "x"}, format="json"),
        401,
        "token_invalid",
    )


def test_it_throttles_with_429_and_retry_after(api, settings, monkeypatch):
    """Past the rate, 429 throttled with Retry-After in seconds."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = dict(settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], anon="2/min")
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    for _ in range(2):
        api.post("/api/v1/auth/token", {"phone": "+8613800138000", "code": "000000"}, format="json")
    response = api.post(
        "/api/v1/auth/token", {"phone": "+8613800138000", "code": "000000"}, format="json"
    )
    assert_error(response, 429, "throttled")
    assert 1 <= int(response["Retry-After"]) <= 60


@pytest.mark.urls("tests.core.urls")
def test_it_answers_an_unhandled_error_with_a_json_500(resident_api):
    """A bug is still the error body, never a page or a stack trace."""
    body = assert_error(resident_api.get("/api/v1/test/boom"), 500, "server_error")
    assert "RuntimeError" not in body["detail"]


def test_it_answers_in_english_when_asked(api):
    response = api.get("/api/v1/me", HTTP_ACCEPT_LANGUAGE="en")
    assert response.json()["detail"] == "Authentication credentials were not provided."
    response = api.get("/api/v1/me")
    assert response.json()["detail"] == "身份认证信息未提供。"


def test_it_serves_html_404_pages_outside_the_api(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert "页面不存在" in response.content.decode()


@pytest.mark.django_db
def test_it_answers_a_value_the_database_refuses_with_400(resident_api, settings):
    """A NUL byte reaching a lookup (PostgreSQL refuses it) is bad input, not a 500."""
    response = resident_api.post(
        "/api/v1/points/moral/claims",
        {"category": "bad\x00code", "description": "x", "occurred_on": "2026-11-01"},
        format="multipart",
    )
    assert response.status_code == 400
    assert response.json()["code"] == "invalid"
