"""The resident's own-data routes refuse a caller who is not signed in: 401
`not_authenticated`, and nothing is written (no consent, no export, no deletion, no
code, no WeChat binding removed)."""

import pytest

from accounts.models import Consent, OtpCode
from privacy.models import Export

ROUTES = [
    ("get", "/api/v1/me/consents"),
    ("post", "/api/v1/me/consents"),
    ("post", "/api/v1/me/code"),
    ("get", "/api/v1/me/export"),
    ("post", "/api/v1/me/export"),
    ("post", "/api/v1/me/delete"),
    ("get", "/api/v1/me/data-access"),
    ("delete", "/api/v1/me/wechat"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_caller_not_signed_in_gets_401_and_nothing_is_written(api, db, method, path):
    response = getattr(api, method)(path, {"version": "x", "purpose": "export"}, format="json")
    assert response.status_code == 401, (path, response.content)
    assert response.json()["code"] == "not_authenticated"
    assert not Consent.objects.exists()
    assert not Export.objects.exists()
    assert not OtpCode.objects.exists()
