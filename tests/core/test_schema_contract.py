"""The schema a generated client reads (issue 26): one request body per operation, JSON
except where a file is sent; integer path ids; public sign-in operations; binary
responses declared with their media types. The API takes JSON only elsewhere."""

import pytest

UPLOADS = {
    "/api/v1/desk/sessions/{id}/moral-claims",
    "/api/v1/desk/sessions/{id}/stall-registrations",
    "/api/v1/livestream/sessions/{id}/outcome",
    "/api/v1/livestream/transfers",
    "/api/v1/points/moral/claims",
    "/api/v1/stalls/registrations",
    "/api/v1/stalls/{id}/reports",
    "/api/v1/stalls/{id}/photo",
}
SIGN_IN = ["/api/v1/auth/otp", "/api/v1/auth/token", "/api/v1/auth/token/refresh"]


@pytest.fixture
def schema(api, db):
    return api.get("/api/schema/", HTTP_ACCEPT="application/json").json()


def _operations(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            yield path, method, operation


def test_every_operation_declares_one_body_json_unless_it_takes_a_file(schema):
    with_files = set()
    for path, method, operation in _operations(schema):
        content = operation.get("requestBody", {}).get("content", {})
        assert len(content) <= 1, (method, path, list(content))
        if "multipart/form-data" in content:
            with_files.add(path)
        else:
            assert set(content) <= {"application/json"}, (method, path, list(content))
    assert with_files == UPLOADS


def test_path_ids_are_integers(schema):
    ids = [
        parameter["schema"]
        for _path, _method, operation in _operations(schema)
        for parameter in operation.get("parameters", [])
        if parameter["in"] == "path" and parameter["name"] in ("id", "pk")
    ]
    assert ids and all(s["type"] == "integer" and "pattern" not in s for s in ids)


def test_sign_in_is_public(schema):
    for path in SIGN_IN:
        assert schema["paths"][path]["post"]["security"] == [], path


def test_binary_responses_are_declared_with_their_media_types(schema):
    found = {}
    for path, method, operation in _operations(schema):
        for media, body in operation["responses"].get("200", {}).get("content", {}).items():
            if media in ("image/png", "image/svg+xml", "application/pdf"):
                found[path] = media
                assert body["schema"] == {"type": "string", "format": "binary"}, (method, path)
    assert found["/api/v1/cadres/{id}/qr.svg"] == "image/svg+xml"
    assert found["/api/v1/stalls/sites/{id}/poster.pdf"] == "application/pdf"
    assert len(found) == 9


def test_a_form_encoded_body_is_refused_where_json_is_expected(api, db):
    """415 `unsupported_media_type`, nothing sent."""
    response = api.post(
        "/api/v1/auth/otp",
        "phone=%2B8613900000000",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 415
    assert response.json()["code"] == "unsupported_media_type"
    assert api.post("/api/v1/auth/otp", {"phone": "+8613900000000"}).status_code == 202
