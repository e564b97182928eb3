"""Consent (issue 24, item 1): the notice, consents recorded on the row and in the
history, 409 `consent_required` on the routes that collect data and nowhere else."""

import pytest
from django.conf import settings

from accounts.consent import IdConsentRequired
from accounts.models import Consent, User
from accounts.roles import Role
from accounts.sms import LocmemBackend
from cadres.codes import badge_url
from cadres.models import Cadre, Unit
from desk import services as desk_services
from desk.models import DeskSession
from stalls.codes import site_code_url
from stalls.models import GoodsCategory
from tests.stalls.conftest import id_number, make_site_for


@pytest.fixture
def newcomer(make_user):
    return make_user(display_name="Nina", consent=False)


@pytest.fixture
def cadre(db):
    unit = Unit.objects.create(name="康巴什区民政局", kind=Unit.Kind.BUREAU)
    return Cadre.objects.create(unit=unit, name="赵强", title="科员", employee_number="C0001")


def review(client, cadre):
    return client.post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": badge_url(cadre), "rating": 5},
        format="json",
    )


def test_it_shows_the_notice_with_its_version_and_sections(api, client):
    body = api.get("/api/v1/privacy").json()
    assert body["version"] == settings.PRIVACY_NOTICE_VERSION
    assert [s["key"] for s in body["sections"]] == ["what", "why", "how_long", "who"]
    assert all(s["title"] and s["text"] for s in body["sections"])
    page = client.get("/privacy/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert page.status_code == 200
    assert settings.PRIVACY_NOTICE_VERSION in page.content.decode()


def test_a_review_without_consent_is_409_with_the_version_and_nothing_written(
    newcomer, cadre, client_for
):
    """The review POST (token only, no user row loaded) reads the token's claim."""
    refused = review(client_for(newcomer), cadre)
    assert refused.status_code == 409
    body = refused.json()
    assert body["code"] == "consent_required"
    assert body["fields"]["version"] == [settings.PRIVACY_NOTICE_VERSION]
    assert not cadre.reviews.exists()


def test_accepting_records_the_row_and_the_history_then_the_same_token_reviews(
    newcomer, cadre, client_for
):
    """A token issued before the consent still works after it (one read of the row)."""
    client = client_for(newcomer)
    accepted = client.post(
        "/api/v1/me/consents", {"version": settings.PRIVACY_NOTICE_VERSION}, format="json"
    )
    assert accepted.status_code == 201, accepted.json()
    newcomer.refresh_from_db()
    assert newcomer.consent_version == settings.PRIVACY_NOTICE_VERSION
    [consent] = Consent.objects.filter(user=newcomer)
    assert (consent.purpose, consent.version) == ("notice", settings.PRIVACY_NOTICE_VERSION)
    assert review(client, cadre).status_code == 201
    history = client.get("/api/v1/me/consents").json()["results"]
    assert [(c["purpose"], c["version"]) for c in history] == [
        ("notice", settings.PRIVACY_NOTICE_VERSION)
    ]


def test_an_outdated_version_is_refused_and_a_new_version_asks_again(
    resident, cadre, client_for, settings
):
    client = client_for(resident)
    stale = client.post("/api/v1/me/consents", {"version": "2020-01"}, format="json")
    assert stale.status_code == 400 and stale.json()["code"] == "invalid"
    assert not Consent.objects.filter(user=resident).exists()
    settings.PRIVACY_NOTICE_VERSION = "2027-01"
    again = review(client_for(User.objects.get(pk=resident.pk)), cadre)
    assert again.status_code == 409 and again.json()["fields"]["version"] == ["2027-01"]


def test_reading_ones_own_data_needs_no_consent(newcomer, client_for):
    client = client_for(newcomer)
    for path in ("/api/v1/me", "/api/v1/points/balance", "/api/v1/me/consents"):
        assert client.get(path).status_code == 200, path


def test_giving_an_id_number_needs_its_own_consent(newcomer, client_for):
    site = make_site_for(Unit.objects.create(name="城管局", kind=Unit.Kind.BUREAU))
    client = client_for(newcomer)
    version = settings.PRIVACY_NOTICE_VERSION
    assert (
        client.post("/api/v1/me/consents", {"version": version}, format="json").status_code == 201
    )
    body = {
        "site_code": site_code_url(site),
        "vendor_name": "王小明",
        "id_number": id_number(),
        "goods_category": GoodsCategory.FRUIT_VEGETABLES,
    }
    refused = client.post("/api/v1/stalls/registrations", body, format="json")
    assert refused.status_code == 409
    assert refused.json()["fields"]["purpose"] == ["id_number"]
    given = client.post(
        "/api/v1/me/consents", {"version": version, "purpose": "id_number"}, format="json"
    )
    assert given.status_code == 201
    assert client.post("/api/v1/stalls/registrations", body, format="json").status_code == 201


@pytest.mark.parametrize("path", ["/api/v1/points/moral/claims", "/api/v1/points/payments"])
def test_the_other_collecting_routes_are_gated(newcomer, client_for, path):
    refused = client_for(newcomer).post(path, {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "consent_required"


def test_the_sign_in_says_whether_consent_is_needed(
    api, make_user, django_capture_on_commit_callbacks
):
    user = make_user(consent=False)
    with django_capture_on_commit_callbacks(execute=True):
        api.post("/api/v1/auth/otp", {"phone": user.phone}, format="json")
    code = [m["code"] for m in LocmemBackend.outbox if m["phone"] == user.phone][-1]
    body = api.post("/api/v1/auth/token", {"phone": user.phone, "code": code}, format="json").json()
    assert body["consent_required"] is True
    assert body["privacy_version"] == settings.PRIVACY_NOTICE_VERSION
    assert body["deletion_cancelled"] is False


def test_the_desk_records_the_id_consent_given_at_the_counter(make_user, db):
    """Without the agent's tick the ID check is 409 `consent_required` and nothing is
    confirmed; with it the resident's consent is recorded, with the agent."""
    agent = make_user(Role.DESK_AGENT)
    phone = "+8613900001111"
    session = desk_services.desk_session_start(agent=agent, phone=phone, address="10.0.0.1")
    with pytest.raises(IdConsentRequired):
        desk_services.desk_session_confirm_id(
            session_id=session.pk, id_number=id_number(), name="李", id_consent=False
        )
    assert DeskSession.objects.get(pk=session.pk).resident_id is None
    desk_services.desk_session_confirm_id(
        session_id=session.pk, id_number=id_number(), name="李", id_consent=True
    )
    resident = User.objects.get(phone=phone)
    assert resident.id_consent_version == settings.PRIVACY_NOTICE_VERSION
    consent = Consent.objects.get(user=resident, purpose="id_number")
    assert consent.recorded_by == agent
