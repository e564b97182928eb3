"""Bad input from anyone is a 4xx with the API's error body, never a 500."""

import base64
import datetime as dt
import json
from urllib.parse import urlencode

import pytest
from django import forms
from django.apps import apps
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from django.urls import resolve
from drf_spectacular.generators import SchemaGenerator

from accounts.models import OtpCode
from accounts.roles import Role
from accounts.services import role_grant
from accounts.sms import LocmemBackend
from cadres.codes import badge_url
from cadres.models import Cadre, CadreRank, Review, Unit
from core.formfields import StrictIntegerField
from livestream.models import Income, Product, Session
from merchants.pages import AmountForm
from points.admin import AdjustmentForm, DecisionForm
from points.services import merchant_create
from rankings import services
from stalls.codes import site_code_url
from stalls.models import GoodsCategory, Registration
from tests.stalls.conftest import id_number, make_site_for

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


# --- Characters no request needs (core.middleware.RefusedCharactersMiddleware, core.parsers)


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def _resolve(schema: dict, node: dict) -> dict:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _operations(schema: dict):
    for path, operations in sorted(schema["paths"].items()):
        for method, operation in sorted(operations.items()):
            yield method, path, operation


@pytest.fixture
def everyone(make_user):
    """One user with every role and its links: most operations get past their checks."""
    unit = Unit.objects.create(name="Everyone unit", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(unit=unit, name="Everyone cadre", employee_number="E-all")
    shop = merchant_create(name="Everyone shop")
    user = make_user(*[role for role in Role if role not in LINKED_ROLES])
    for role, links in [
        (Role.UNIT_ADMIN, {"unit": unit.pk}),
        (Role.URBAN_OFFICER, {"unit": unit.pk}),
        (Role.CADRE, {"cadre": cadre.pk}),
        (Role.MERCHANT, {"merchant": shop.pk}),
    ]:
        user = role_grant(phone=user.phone, role=role, links=links)
    return user


LINKED_ROLES = {Role.UNIT_ADMIN, Role.URBAN_OFFICER, Role.CADRE, Role.MERCHANT}


def test_it_refuses_a_nul_in_a_path_or_a_query_before_any_view(api):
    """The probes' 500s, anonymous: `/media/<folder>/%00.jpg` and `/leaderboard/?q=%00`
    are a plain 400 page; on /api/ paths the 400 has the error body `invalid`."""
    page = Client()
    for url in [
        "/media/stalls/%00.jpg",
        "/media/%00/x.jpg",
        "/leaderboard/?q=%00",
        "/leaderboard/?q=a%00b",
        "/leaderboard/?%00=1",
        "/leaderboard/%01",
        "/open/?stalls=%1F",
    ]:
        response = page.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response["Content-Type"].startswith("text/plain"), url
    for url in [
        "/api/v1/rankings?cursor=%00",
        "/api/v1/cadres%00",
        "/api/v1/stalls/sites?q=%00",
        "/api/v1/units/%00/cadres",
    ]:
        response = api.get(url)
        assert response.status_code == 400, (url, response.status_code)
        assert response.json()["code"] == "invalid", url


def test_it_keeps_tabs_and_line_breaks_in_a_query(api):
    """Only the characters no text needs are refused: a search with a tab or a line break
    (pasted text) still works."""
    assert Client().get("/leaderboard/?q=a%09b%0Ac%0D").status_code == 200


def test_it_refuses_a_nul_in_a_cookie(api):
    """A session cookie carrying a NUL (an octal escape in a quoted cookie) is a 400,
    never a session lookup PostgreSQL refuses."""
    client = Client()
    client.cookies["sessionid"] = "abc\x00defghijk"
    assert client.get("/leaderboard/").status_code == 400


def test_it_refuses_a_nul_in_a_form_body_and_writes_nothing(api):
    """A form-encoded POST (a page's sign-in, the API's OTP request) with a NUL in a
    field is a 400 before the view: no code stored, no SMS sent. The API takes JSON only
    (multipart only where a file is sent): a multipart OTP request is a 415."""
    response = Client().post("/signin/code", {"phone": "+8613900000000\x00"})
    assert response.status_code == 400
    response = api.post("/api/v1/auth/otp", {"phone": "+86139\x0000000000"}, format="multipart")
    assert response.status_code == 415 and response.json()["code"] == "unsupported_media_type"
    response = api.generic(
        "POST",
        "/api/v1/auth/otp",
        "phone=%2B8613900000000%00",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert not OtpCode.objects.exists()
    assert LocmemBackend.outbox == []


def test_it_refuses_control_characters_in_a_json_body_and_writes_nothing(resident_api):
    """`\\u0000` (or another C0 control but tab and line breaks) in any JSON string, a
    key too, is 400 `invalid`; the same body with a line break is taken."""
    for body in [
        '{"phone": "+8613900000000\\u0000"}',
        '{"phone": "+8613900000000", "x\\u0000": 1}',
        '{"phone": ["+8613900000000\\u001f"]}',
    ]:
        response = resident_api.generic(
            "POST", "/api/v1/auth/otp", body, content_type="application/json"
        )
        assert response.status_code == 400, body
        assert response.json()["code"] == "invalid"
    assert not OtpCode.objects.exists()
    response = resident_api.post("/api/v1/auth/otp", {"phone": "+8613900000000"}, format="json")
    assert response.status_code == 202, response.content


def _json(body: dict) -> str:
    """`body` as JSON text with escapes (a lone surrogate cannot be encoded as UTF-8)."""
    return json.dumps(body, ensure_ascii=True)


def test_it_refuses_a_lone_surrogate_in_the_probes_choice_fields(
    make_user, client_for, resident, resident_api
):
    """The probes' 500s: `"\\ud800"` in a review's tags, a registration's goods category,
    a livestream session's platform and an income's kind is 400 `invalid`, and nothing is
    written (each body is otherwise one the API takes)."""
    unit = Unit.objects.create(name="Surrogate unit", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(
        unit=unit, name="Surrogate cadre", employee_number="E-sur", rank=CadreRank.DIVISION
    )
    review = {"code": badge_url(cadre), "rating": 5, "tags": ["attitude"], "comment": "ok"}
    site = make_site_for(unit)
    registration = {
        "site_code": site_code_url(site),
        "vendor_name": "王小明",
        "id_number": id_number(),
        "goods_category": GoodsCategory.FRUIT_VEGETABLES,
    }
    product = Product.objects.create(name="Surrogate product")
    operator = client_for(make_user(Role.LIVE_OPERATOR))
    plan = {
        "title": "专场",
        "unit": unit.pk,
        "starts_at": "2026-03-20T20:00:00+08:00",
        "platform": "douyin",
        "hosts": [cadre.pk],
        "products": [product.pk],
    }
    income = {"session": 1, "cadre": cadre.pk, "kind": "gift", "amount": "1.00"}
    income["received_on"] = "2026-03-21"
    cases = [
        (resident_api, f"/api/v1/cadres/{cadre.pk}/reviews", review, "tags", ["\ud800"]),
        (resident_api, "/api/v1/stalls/registrations", registration, "goods_category", "\ud800"),
        (operator, "/api/v1/livestream/sessions", plan, "platform", "\ud800"),
        (operator, "/api/v1/livestream/incomes", income, "kind", "\ud800"),
        (resident_api, f"/api/v1/cadres/{cadre.pk}/reviews", review, "comment", "a\udfffb"),
        (operator, "/api/v1/livestream/sessions", plan, "\ud800", "x"),
    ]
    for client, url, body, field, value in cases:
        response = client.generic(
            "POST", url, _json({**body, field: value}), content_type="application/json"
        )
        assert response.status_code == 400, (url, field, response.content[:200])
        assert response.json()["code"] == "invalid"
    assert not Review.objects.exists()
    assert not Registration.objects.exists()
    assert not Session.objects.exists()
    assert not Income.objects.exists()
    # The same bodies without the surrogate are taken: the refusal is the surrogate's.
    assert resident_api.post(cases[0][1], review, format="json").status_code == 201
    assert resident_api.post(cases[1][1], registration, format="json").status_code == 201
    assert operator.post(cases[2][1], plan, format="json").status_code == 201


def test_it_takes_a_surrogate_pair_as_the_character_it_encodes(resident_api):
    """A valid pair (an emoji written as `\\ud83d\\ude00`) is one character, not refused."""
    unit = Unit.objects.create(name="Pair unit", kind=Unit.Kind.BUREAU)
    cadre = Cadre.objects.create(unit=unit, name="Pair cadre", employee_number="E-pair")
    body = {"code": badge_url(cadre), "rating": 5, "tags": [], "comment": "\ud83d\ude00"}
    response = resident_api.generic(
        "POST", f"/api/v1/cadres/{cadre.pk}/reviews", _json(body), content_type="application/json"
    )
    assert response.status_code == 201, response.content
    assert Review.objects.get().comment == "😀"


# --- Integers: ASCII digits or JSON integers only (core.integers)

BAD_INTEGERS = ["１０", "1.0", 1.0, True, "1_0", " 10", "10\n", "٣"]
BAD_QUERY_INTEGERS = ["１０", "1.0", "true", "1_0", "+10", "²"]


def _integer_fields(schema: dict, node: dict) -> list[str]:
    """The writable integer properties (or lists of integers) of a request body schema."""
    node = _resolve(schema, node)
    names = []
    for name, prop in node.get("properties", {}).items():
        prop = _resolve(schema, prop)
        if prop.get("readOnly"):
            continue
        item = _resolve(schema, prop.get("items", {}))
        if prop.get("type") == "integer" or item.get("type") == "integer":
            names.append(name)
    return names


def _integer_operations() -> list[tuple[str, str, str, str]]:
    """(method, path, where, name) for every integer an operation reads: body fields
    (JSON, or multipart for the operations that take only that) and query parameters."""
    schema = _schema()
    found = []
    for method, path, operation in _operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        for media in ("application/json", "multipart/form-data"):
            if media in content:
                where = "json" if media == "application/json" else "multipart"
                for name in _integer_fields(schema, content[media]["schema"]):
                    found.append((method, path, where, name))
                break
        for parameter in operation.get("parameters", []):
            if parameter["in"] == "query" and parameter["schema"].get("type") == "integer":
                found.append((method, path, "query", parameter["name"]))
    return found


def test_it_finds_the_integers_of_the_api_in_the_schema():
    """The table below is the schema's: amounts, ids, ratings and page sizes are in it."""
    found = {(path, name) for _method, path, _where, name in _integer_operations()}
    assert len(found) >= 40
    for expected in [
        ("/api/v1/points/payments", "amount_points"),
        ("/api/v1/merchant/payments/{id}/refunds", "amount_points"),
        ("/api/v1/points/rewards", "cost_points"),
        ("/api/v1/cadres/{id}/reviews", "rating"),
        ("/api/v1/notifications/read", "ids"),
        ("/api/v1/livestream/sessions", "hosts"),
        ("/api/v1/livestream/sessions/{id}/outcome", "orders"),
        ("/api/v1/rankings/{month}", "unit"),
        ("/api/v1/points/entries", "page_size"),
    ]:
        assert expected in found, expected


INVALID_INTEGER = "A valid integer is required."


def _refuses_as_integer(response, name: str) -> bool:
    """True when the response is 400 `invalid` whose `fields` say `name` (or an item of
    it) is not an integer (the English message: the client asks for English)."""
    if response.status_code != 400 or response.json()["code"] != "invalid":
        return False
    fields = response.json().get("fields") or {}
    return any(
        INVALID_INTEGER in messages
        for key, messages in fields.items()
        if key == name or key.startswith(f"{name}.")
    )


def _serializer_refuses_as_integer(url: str, body: dict, name: str) -> bool:
    """For a view that looks its row up before reading the body (404 for id 1): its
    InputSerializer, given the body, says `name` is not an integer."""
    serializer = resolve(url).func.view_class.InputSerializer(data=body)
    serializer.is_valid()
    errors = serializer.errors.get(name, [])
    if isinstance(errors, dict):  # a list field: {index: [messages]}
        errors = [message for messages in errors.values() for message in messages]
    return any(str(error) == INVALID_INTEGER for error in errors)


@pytest.mark.parametrize(("method", "path", "where", "name"), _integer_operations())
def test_it_reads_only_ascii_digits_or_json_integers(
    method, path, where, name, everyone, client_for
):
    """Every integer of every operation: "１０", "1.0", 1.0, true (and other text `int()`
    would read) are 400 `invalid` naming the field; 10 and "10" are read as integers.
    A view that finds its row (id 1) before reading the body answers 404 for both: there
    its InputSerializer is asked."""
    client = client_for(everyone)
    english = {"HTTP_ACCEPT_LANGUAGE": "en"}
    # A unit's cadres list needs the unit; elsewhere id 1 (a view that finds no row answers
    # 404 before reading the body: its serializer is asked, below).
    unit = Unit.objects.get(name="Everyone unit")
    row = str(unit.pk) if path.startswith("/api/v1/units/") else "1"
    url = path.replace("{id}", row).replace("{month}", "2026-03")

    def body_of(value) -> dict:
        return {name: [value] if name in LIST_FIELDS else value}

    def send(value):
        if where == "query":
            return client.generic(method.upper(), f"{url}?{urlencode({name: value})}", **english)
        if where == "json":
            body, content_type = json.dumps(body_of(value)), "application/json"
        else:
            body, content_type = encode_multipart(BOUNDARY, body_of(value)), MULTIPART_CONTENT
        return client.generic(method.upper(), url, body, content_type, **english)

    as_text = where != "json"
    for value in BAD_QUERY_INTEGERS if as_text else BAD_INTEGERS:
        response = send(value)
        if response.status_code == 404 and where != "query":
            assert _serializer_refuses_as_integer(url, body_of(value), name), value
        else:
            assert _refuses_as_integer(response, name), (value, response.content[:300])
    for value in ["10"] if as_text else [10, "10"]:
        response = send(value)
        assert response.status_code < 500, (value, response.content[:300])
        assert not _refuses_as_integer(response, name), (value, response.content[:300])
        if response.status_code == 404 and where != "query":
            assert not _serializer_refuses_as_integer(url, body_of(value), name), value


LIST_FIELDS = {"ids", "hosts", "products"}


# --- The sweep: every operation, a surrogate in every string, a NUL in the path and query


def _fill(schema: dict, node: dict, text: str, depth: int = 0):
    """A value for `node` whose every string is `text` (numbers 1, booleans true)."""
    node = _resolve(schema, node)
    for combined in ("allOf", "oneOf", "anyOf"):
        if node.get(combined):
            return _fill(schema, node[combined][0], text, depth)
    kind = node.get("type", "object" if "properties" in node else "string")
    if kind == "object":
        if depth > 4:
            return {}
        return {
            name: _fill(schema, prop, text, depth + 1)
            for name, prop in node.get("properties", {}).items()
            if not _resolve(schema, prop).get("readOnly")
        }
    if kind == "array":
        return [_fill(schema, node.get("items", {}), text, depth + 1)]
    return {"integer": 1, "number": 1, "boolean": True}.get(kind, text)


def _sweep_requests():
    """(method, url, body, content type, label) for every operation of the schema."""
    schema = _schema()
    for method, path, operation in _operations(schema):
        url = path.replace("{month}", "2026-03").replace("{id}", "1")
        content = operation.get("requestBody", {}).get("content", {})
        if "application/json" in content:
            body = _fill(schema, content["application/json"]["schema"], "\ud800")
            yield method, url, _json(body), "application/json", "surrogate in every string"
        elif "multipart/form-data" in content:
            fields = _fill(schema, content["multipart/form-data"]["schema"], "a\x00b")
            fields = {k: v for k, v in fields.items() if not isinstance(v, dict)}
            yield method, url, encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT, "NUL fields"
        else:
            yield method, url, "", None, "no body"
        nul_path = path.replace("{month}", "%00").replace("{id}", "%00")
        if nul_path == path:
            nul_path = f"{path}%00"
        yield method, nul_path, "", None, "NUL in the path"
        yield method, f"{url}?q=%00&cursor=%00&page_size=%00&status=%00", "", None, "NUL in query"


def test_it_answers_every_operation_without_a_5xx_when_fed_surrogates_and_nuls(
    make_user, client_for
):
    """Every operation of /api/schema/, as a signed-in resident and as a district admin:
    a JSON body whose every string is `"\\ud800"` (NUL in every field of a multipart one),
    a NUL in the path, a NUL in the query: a 4xx (or a 2xx where the text is ignored),
    never a 5xx; a NUL in the path or query is always 400 `invalid`."""
    requests = list(_sweep_requests())
    assert len(requests) >= 3 * 100
    for user in (make_user(), make_user(Role.DISTRICT_ADMIN)):
        client = client_for(user)
        for method, url, body, content_type, label in requests:
            extra = {"content_type": content_type} if content_type else {}
            response = client.generic(method.upper(), url, body, **extra)
            assert response.status_code < 500, (method, url, label, response.content[:200])
            if "NUL in" in label:
                assert response.status_code == 400, (method, url, label)
                assert response.json()["code"] == "invalid"
            if content_type == "application/json" and "\\ud800" in body:
                assert 400 <= response.status_code < 500, (method, url, response.content[:200])


# --- Pages and the admin: integers are ASCII digits there too


def test_it_gives_every_admin_form_strict_integers(django_user_model):
    """Every integer field of every admin form (each registered ModelAdmin and its
    inlines) is core.formfields.StrictIntegerField: "１０" and "1.0" are refused."""
    admin_user = django_user_model.objects.create_superuser("+8613800000019", "pw-123456!")
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    checked = []
    for model in apps.get_models():
        if not admin.site.is_registered(model):
            continue
        model_admin = admin.site.get_model_admin(model)
        forms_of = [model_admin.get_form(request)]
        forms_of += [
            inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)
        ]
        for form in forms_of:
            for name, field in form.base_fields.items():
                # Django's FloatField and DecimalField are IntegerFields too: not integers.
                if isinstance(field, forms.IntegerField) and not isinstance(
                    field, forms.FloatField | forms.DecimalField
                ):
                    checked.append((model.__name__, name))
                    assert isinstance(field, StrictIntegerField), (model.__name__, name)
                    for text in ("１０", "1.0", "1_0", "²"):
                        with pytest.raises(ValidationError):
                            field.clean(text)
                    assert field.clean("10") == 10
    assert ("Reward", "cost_points") in checked and ("Campaign", "points_per_claim") in checked


@pytest.mark.parametrize(
    "form_class",
    [AmountForm, AdjustmentForm, DecisionForm],
    ids=["merchant pay AmountForm", "admin AdjustmentForm", "admin DecisionForm"],
)
def test_it_refuses_full_width_digits_and_decimals_in_page_forms(form_class):
    """The forms pages and admin views declare: "１０", "1.0" and "1_0" are refused, "10"
    is 10."""
    name = next(n for n, f in form_class.base_fields.items() if isinstance(f, forms.IntegerField))
    extra = {"reason": "a reason"}
    for text in ("１０", "1.0", "1_0", "٣"):
        form = form_class({name: text, **extra})
        assert not form.is_valid() and name in form.errors, text
    form = form_class({name: "10", **extra})
    assert form.is_valid(), form.errors
    assert form.cleaned_data[name] == 10


@pytest.mark.django_db
def test_an_api_multipart_body_with_an_idempotency_key_is_read_once(client_for, resident):
    """The refused-characters check leaves an API multipart body to the API's parser: read
    there first, the stream was gone when the Idempotency-Key's fingerprint read the raw
    body (schemathesis found the 500 on /points/redemptions and /points/payments). The
    API now takes JSON only there: the multipart body is a 415, the same for the replay,
    never a 500."""
    api = client_for(resident)
    for _ in range(2):
        response = api.post(
            "/api/v1/points/redemptions",
            {"reward": "999999"},
            format="multipart",
            HTTP_IDEMPOTENCY_KEY="multipart-once",
        )
        assert response.status_code == 415, response.content[:300]
        assert response.json()["code"] == "unsupported_media_type"
    nul = api.post(
        "/api/v1/points/redemptions",
        {"reward": "1\x00"},
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="multipart-nul",
    )
    assert nul.status_code == 415 and nul.json()["code"] == "unsupported_media_type"
