"""Bad input from anyone is a 4xx with the API's error body, never a 500."""

import base64
import datetime as dt

import pytest
from drf_spectacular.generators import SchemaGenerator

from accounts.roles import Role
from accounts.services import role_grant
from cadres import services
from cadres.models import Cadre, Unit
from points.services import merchant_create

pytestmark = pytest.mark.django_db


def _cursor(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


BAD_CURSORS = [
    _cursor("p=abc"),
    _cursor("p=\0"),
    _cursor("p=1' OR '1'='1"),
    _cursor("p=" + "9" * 40),
    _cursor("p=99999-01-01"),
    _cursor("o=-1"),
    _cursor("r=x"),
    "not base64 at all!",
    "A" * 5000,
]


def _paginated_list_paths() -> list[str]:
    """Every GET of the schema that takes a `cursor`, so a new list cannot escape."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        path
        for path, operations in schema["paths"].items()
        if any(p["name"] == "cursor" for p in operations.get("get", {}).get("parameters", []))
    )


def test_it_finds_the_paginated_lists_in_the_schema():
    """The list of lists is not empty and includes the anonymous ones (sanity of the finder)."""
    paths = _paginated_list_paths()
    assert len(paths) >= 11
    assert "/api/v1/rankings" in paths and "/api/v1/stalls/sites" in paths


@pytest.mark.parametrize("path", _paginated_list_paths())
def test_it_answers_a_crafted_cursor_with_400_invalid_on_every_list(
    path, make_user, client_for, api
):
    """A cursor that does not decode to a valid position is 400 `invalid`, on every list,
    signed in with every role or anonymous."""
    unit = Unit.objects.create(name="Cursor unit", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(unit=unit, name="Cursor cadre", employee_number="E-cursor")
    shop = merchant_create(name="Cursor shop")
    user = make_user(Role.DISTRICT_ADMIN, Role.MORAL_REVIEWER, Role.FINANCE, Role.DESK_AGENT)
    for role, links in [
        (Role.URBAN_OFFICER, {"unit": unit.pk}),
        (Role.CADRE, {"cadre": cadre.pk}),
        (Role.MERCHANT, {"merchant": shop.pk}),
    ]:
        role_grant(phone=user.phone, role=role, links=links)
    if "{month}" in path:  # a published month's rankings (scope=cadre is paginated)
        services.rankings_compile(month=dt.date(2026, 3, 1))
        services.ranking_month_publish(month=dt.date(2026, 3, 1))
    url = path.replace("{id}", str(unit.pk)).replace("{month}", "2026-03")
    assert "{" not in url, f"fill the path parameters of {path}"
    signed_in = client_for(user)
    assert signed_in.get(url).status_code == 200, f"{url} must be reachable to be tested"
    for client in [signed_in, api]:
        if client is api and client.get(url).status_code == 401:
            continue
        for cursor in BAD_CURSORS:
            response = client.get(url, {"cursor": cursor})
            assert response.status_code == 400, (url, cursor, response.content[:200])
            body = response.json()
            assert body["code"] == "invalid" and "cursor" in body["fields"]


DEEP_JSON = "[" * 100_000 + "]" * 100_000


def test_it_answers_json_nested_100000_deep_with_400_invalid_on_auth_otp(api):
    """Anonymous POST /auth/otp with a body nested 100,000 deep is 400 `invalid`, not a
    RecursionError (500)."""
    for body in (DEEP_JSON, '{"phone": ' + "[" * 100_000 + "]" * 100_000 + "}"):
        response = api.generic("POST", "/api/v1/auth/otp", body, content_type="application/json")
        assert response.status_code == 400, response.content[:200]
        assert response.json()["code"] == "invalid"


def _json_operations() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return sorted(
        (method, path)
        for path, operations in schema["paths"].items()
        for method, operation in operations.items()
        if "application/json" in operation.get("requestBody", {}).get("content", {})
    )


def test_it_answers_deep_json_without_a_500_on_every_json_endpoint(make_user, client_for):
    """Every operation that takes JSON (from the schema), signed in, with and without an
    Idempotency-Key: a 4xx with the error body, never a 500."""
    operations = _json_operations()
    assert len(operations) > 10
    client = client_for(make_user(Role.DISTRICT_ADMIN, Role.MORAL_REVIEWER, Role.DESK_AGENT))
    invalid = 0
    for method, path in operations:
        url = path.replace("{id}", "1").replace("{pk}", "1")
        for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "deep-json-key"}):
            response = client.generic(
                method.upper(), url, DEEP_JSON, content_type="application/json", **headers
            )
            assert 400 <= response.status_code < 500, (method, url, response.content[:200])
            invalid += response.json()["code"] == "invalid"
    assert invalid > len(operations)
