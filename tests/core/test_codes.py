"""The shared code resolver: signed tokens, kinds registered by apps, short URLs."""

import pytest

from core import codes
from core.errors import DomainError


class Thing:
    versions = {7: 2}


@pytest.fixture(autouse=True)
def thing_kind():
    def resolve(payload):
        pk, version = codes.parse_versioned_payload(payload)
        if pk not in Thing.versions:
            raise codes.CodeInvalid()
        if version != Thing.versions[pk]:
            raise codes.CodeRevoked()
        return pk

    codes.register(
        codes.CodeKind(
            tag="zz", type="thing", resolve=resolve, serialize=lambda obj, r: {"id": obj}
        )
    )
    yield
    codes._KINDS.pop("zz")


def error_code(call):
    with pytest.raises(DomainError) as caught:
        call()
    return caught.value.code


def test_it_resolves_a_signed_token_from_the_url_the_path_or_the_token():
    token = codes.make_token("zz", codes.versioned_payload(7, 2))
    url = codes.code_url(token)
    for code in (url, f"/q/{token}", token, f" {url} "):
        assert codes.resolve(code).obj == 7
    assert codes.scan_body(codes.resolve(url), None) == {"type": "thing", "thing": {"id": 7}}


def test_it_keeps_the_url_within_80_characters(settings):
    settings.PUBLIC_BASE_URL = "https://duoduo.kangbashi.gov.cn"
    token = codes.make_token("zz", codes.versioned_payload(10**12, 10**4))
    assert len(codes.code_url(token)) <= 80


def test_it_refuses_a_forged_signature():
    token = codes.make_token("zz", codes.versioned_payload(7, 2))
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert error_code(lambda: codes.resolve(forged)) == "code_invalid"


def test_it_refuses_a_payload_moved_under_another_signature():
    good = codes.make_token("zz", codes.versioned_payload(7, 2))
    tampered = "zz." + codes.versioned_payload(8, 2) + "." + good.rsplit(".", 1)[1]
    assert error_code(lambda: codes.resolve(tampered)) == "code_invalid"


def test_it_says_revoked_for_an_old_version():
    old = codes.make_token("zz", codes.versioned_payload(7, 1))
    assert error_code(lambda: codes.resolve(old)) == "code_revoked"


@pytest.mark.parametrize(
    "code", ["", "abc", "x" * 600, "zz.1-1", "http://evil/q/", None, 12, "qq.1-1.AAAAAAAAAAAAAAAA"]
)
def test_it_refuses_malformed_and_unknown_codes(code):
    assert error_code(lambda: codes.resolve(code)) == "code_invalid"


def test_it_refuses_a_code_of_another_type_where_one_type_is_expected():
    token = codes.make_token("zz", codes.versioned_payload(7, 2))
    assert error_code(lambda: codes.resolve_as(token, "cadre")) == "code_invalid"


def test_it_refuses_two_kinds_with_one_tag():
    with pytest.raises(ValueError):
        codes.register(codes.CodeKind(tag="zz", type="other", resolve=str, serialize=str))


@pytest.mark.django_db
def test_scan_endpoint_answers_forged_codes_with_404_code_invalid(resident_api):
    response = resident_api.post(
        "/api/v1/scan", {"code": "http://127.0.0.1:8000/q/zz.7-2.AAAAAAAAAAAAAAAA"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "code_invalid"


@pytest.mark.django_db
def test_scan_endpoint_resolves_a_registered_kind(resident_api):
    url = codes.code_url(codes.make_token("zz", codes.versioned_payload(7, 2)))
    response = resident_api.post("/api/v1/scan", {"code": url}, format="json")
    assert response.status_code == 200
    assert response.json() == {"type": "thing", "thing": {"id": 7}}


@pytest.mark.django_db
def test_scan_endpoint_needs_a_signed_in_user(api):
    assert api.post("/api/v1/scan", {"code": "x"}, format="json").status_code == 401


@pytest.mark.django_db
def test_scan_page_shows_a_readable_error_for_a_revoked_code(client):
    response = client.get("/q/" + codes.make_token("zz", codes.versioned_payload(7, 1)))
    assert response.status_code == 404
    assert "此二维码已更换" in response.content.decode()
