"""The badge page behind /q/<token>: card, sign-in by SMS, the review form."""

import pytest
from django.conf import settings

from accounts.models import Consent
from accounts.sms import LocmemBackend
from cadres import codes, services
from cadres.models import Review
from tests.forms import nonce_for

pytestmark = pytest.mark.django_db


def page_path(cadre):
    return f"/q/{codes.badge_token(cadre)}"


def test_a_visitor_sees_the_card_and_the_sign_in_form(client, cadre):
    html = client.get(page_path(cadre)).content.decode()
    assert "王丽娜" in html and "康巴什区文化和旅游局" in html
    assert 'id="signin"' in html
    assert 'id="review-form"' not in html


def test_a_signed_in_resident_reviews_from_the_page(client, resident, cadre):
    """The session user posts the form; the review counts and the form gives way."""
    client.force_login(resident)
    html = client.get(page_path(cadre)).content.decode()
    assert 'id="review-form"' in html
    response = client.post(
        f"/cadres/{cadre.pk}/review",
        {
            "token": codes.badge_token(cadre),
            "rating": "4",
            "tags": ["attitude"],
            "comment": "耐心",
            **nonce_for(resident),
        },
        follow=True,
    )
    assert response.status_code == 200
    review = Review.objects.get()
    assert (review.reviewer, review.rating, review.tags, review.comment) == (
        resident,
        4,
        ["attitude"],
        "耐心",
    )
    html = response.content.decode()
    assert 'id="reviewed-today"' in html
    assert '<strong id="month-reviews">1</strong>' in html


def test_the_page_refuses_bad_form_input_without_writing(client, resident, cadre):
    client.force_login(resident)
    for data in (
        {"token": codes.badge_token(cadre), "rating": "9"},
        {"token": codes.badge_token(cadre), "rating": "x"},
        {"token": codes.badge_token(cadre), "rating": "５"},  # full-width: int() reads 5
        {"token": codes.badge_token(cadre), "rating": " 5"},
        {"token": "c.1-1.AAAAAAAAAAAAAAAA", "rating": "5"},
        {"token": "a/b/../c", "rating": "5"},
        {"rating": "5"},
        {"token": codes.badge_token(cadre), "rating": "5", "comment": "x" * 5000},
    ):
        assert (
            client.post(f"/cadres/{cadre.pk}/review", {**data, **nonce_for(resident)}).status_code
            == 302
        )
    assert not Review.objects.exists()


def test_an_anonymous_post_writes_nothing(client, cadre):
    response = client.post(
        f"/cadres/{cadre.pk}/review", {"token": codes.badge_token(cadre), "rating": "5"}
    )
    assert response.status_code == 302
    assert client.post(f"/cadres/{cadre.pk}/review", {"token": "x/y"}).status_code == 302
    assert not Review.objects.exists()


def test_the_cadre_sees_their_own_badge_without_a_form(client, cadre_user, cadre):
    client.force_login(cadre_user)
    html = client.get(page_path(cadre)).content.decode()
    assert 'id="review-form"' not in html


def test_a_rotated_badge_page_says_revoked(client, cadre, unit_admin):
    old = page_path(cadre)
    services.cadre_code_rotate(cadre=cadre, actor=unit_admin)
    response = client.get(old)
    assert response.status_code == 404
    assert client.get(page_path(cadre)).status_code == 200


def test_sign_in_by_sms_on_the_page(client, cadre, django_capture_on_commit_callbacks):
    """The page's own sign-in form: a code by SMS, then (someone new: the privacy notice
    to accept first) the review form."""
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/signin/code", {"phone": "13800138000", "next": page_path(cadre)})
    code = LocmemBackend.outbox[-1]["code"]
    response = client.post(
        "/signin/verify",
        {"phone": "+8613800138000", "code": code, "next": page_path(cadre)},
        follow=True,
    )
    assert 'id="consent-accept"' in response.content.decode()
    response = client.post(
        "/privacy/accept",
        {"version": settings.PRIVACY_NOTICE_VERSION, "next": page_path(cadre)},
        follow=True,
    )
    assert 'id="review-form"' in response.content.decode()


def test_without_the_current_consent_the_page_asks_for_it_and_refuses_the_review(
    client, make_user, cadre
):
    """As the API's 409 consent_required: the accept form instead of the review form, a
    posted review writes nothing; accepting records the version and the form comes."""
    resident = make_user(consent=False)
    client.force_login(resident)
    html = client.get(page_path(cadre)).content.decode()
    assert 'id="consent-accept"' in html and 'id="review-form"' not in html
    assert f'name="version" value="{settings.PRIVACY_NOTICE_VERSION}"' in html
    review = {"token": codes.badge_token(cadre), "rating": "5", **nonce_for(resident)}
    refused = client.post(f"/cadres/{cadre.pk}/review", review, follow=True)
    assert not Review.objects.exists()
    assert 'class="error"' in refused.content.decode()
    assert client.post("/privacy/accept", {"version": "2000-01"}).status_code == 302
    assert not Consent.objects.filter(user=resident).exists()  # not the current version
    client.post(
        "/privacy/accept",
        {"version": settings.PRIVACY_NOTICE_VERSION, "next": page_path(cadre)},
    )
    consent = Consent.objects.get(user=resident)
    assert (consent.purpose, consent.version) == ("notice", settings.PRIVACY_NOTICE_VERSION)
    html = client.get(page_path(cadre)).content.decode()
    assert 'id="review-form"' in html and 'id="consent-accept"' not in html
    client.post(f"/cadres/{cadre.pk}/review", {**review, **nonce_for(resident)})
    assert Review.objects.get().reviewer == resident


def test_signed_out_the_badge_page_has_no_consent_form(client, cadre):
    html = client.get(page_path(cadre)).content.decode()
    assert 'id="consent-accept"' not in html and 'id="signin"' in html
