"""POST /privacy/accept, the pages' accept form: bad input and a signed-out caller write
nothing, and its `next` never leaves the site."""

import pytest
from django.conf import settings

from accounts.models import Consent

pytestmark = pytest.mark.django_db


def test_signed_out_it_writes_nothing_and_goes_to_the_leaderboard(client):
    response = client.post("/privacy/accept", {"version": settings.PRIVACY_NOTICE_VERSION})
    assert response.status_code == 302 and response["Location"] == "/leaderboard/"
    assert not Consent.objects.exists()


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"version": ""},
        {"version": "2000-01"},
        {"version": "\u0000"},
        {"version": "x" * 10_000},
    ],
)
def test_a_missing_or_wrong_version_records_nothing(client, make_user, data):
    resident = make_user(consent=False)
    client.force_login(resident)
    response = client.post("/privacy/accept", data)
    assert response.status_code in (302, 400)
    assert not Consent.objects.filter(user=resident).exists()
    resident.refresh_from_db()
    assert resident.consent_version != settings.PRIVACY_NOTICE_VERSION


def test_an_unknown_purpose_records_the_notice_only(client, make_user):
    resident = make_user(consent=False)
    client.force_login(resident)
    client.post(
        "/privacy/accept", {"version": settings.PRIVACY_NOTICE_VERSION, "purpose": "everything"}
    )
    assert list(Consent.objects.filter(user=resident).values_list("purpose", flat=True)) == [
        "notice"
    ]


def test_next_never_leaves_the_site(client, make_user):
    resident = make_user(consent=False)
    client.force_login(resident)
    response = client.post(
        "/privacy/accept",
        {"version": settings.PRIVACY_NOTICE_VERSION, "next": "https://evil.example/q/x"},
    )
    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")
    assert response["Location"] == "/leaderboard/"


def test_a_get_is_refused(client):
    assert client.get("/privacy/accept").status_code == 405
