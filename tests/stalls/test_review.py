import pytest
from django.conf import settings

from cadres.models import Cadre, Review
from stalls import services

from .conftest import id_number

pytestmark = pytest.mark.django_db


@pytest.fixture
def decided(site, vendor, officer):
    registration = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="刘大爷",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    services.registration_approve(registration=registration, officer=officer, slot=1)
    return registration


@pytest.fixture
def officer_cadre(officer, unit):
    return Cadre.objects.create(
        name="执法队员甲", unit=unit, employee_number="CG-001", user=officer
    )


def review(client, registration, HTTP_IDEMPOTENCY_KEY=None, **body):  # noqa: N803
    headers = {"HTTP_IDEMPOTENCY_KEY": HTTP_IDEMPOTENCY_KEY} if HTTP_IDEMPOTENCY_KEY else {}
    return client.post(
        f"/api/v1/stalls/registrations/{registration.pk}/review",
        {"rating": 5, "comment": "服务热情", **body},
        format="json",
        **headers,
    )


def test_it_files_the_vendors_review_as_a_cadre_review_of_the_officer(
    client_for, decided, vendor, officer_cadre
):
    """The vendor's review is a review of the deciding officer's cadre record, with the
    usual points (once per Idempotency-Key); a second one the same day is 409
    already_reviewed_today."""
    api = client_for(vendor)
    response = review(api, decided, tags=["attitude"], HTTP_IDEMPOTENCY_KEY="k1")
    assert response.status_code == 201, response.json()
    created = Review.objects.get(pk=response.json()["id"])
    assert (created.cadre, created.reviewer, created.rating) == (officer_cadre, vendor, 5)
    assert response.json()["points_awarded"] == settings.REVIEW_POINTS == created.points_awarded
    replay = review(api, decided, tags=["attitude"], HTTP_IDEMPOTENCY_KEY="k1")
    assert (replay.status_code, replay.json()) == (201, response.json())
    assert Review.objects.count() == 1
    again = review(client_for(vendor), decided)
    assert (again.status_code, again.json()["code"]) == (409, "already_reviewed_today")


def test_it_lets_only_the_vendor_review_a_decided_registration(
    client_for, site, vendor, other_vendor, officer_cadre, decided
):
    """Another user is 403; a pending registration has nobody to review (409); a bad
    rating is 400; nothing is written."""
    assert review(client_for(other_vendor), decided).status_code == 403
    pending = services.registration_create(
        vendor=vendor,
        site=site,
        vendor_name="刘大爷",
        id_number=id_number(),
        goods_category=site.goods_categories[0],
    )
    response = review(client_for(vendor), pending)
    assert (response.status_code, response.json()["code"]) == (409, "registration_not_decided")
    for rating in (0, 6, "five", None):
        assert review(client_for(vendor), decided, rating=rating).status_code == 400
    assert not Review.objects.exists()


def test_it_refuses_when_the_officer_has_no_cadre_record(client_for, decided, vendor):
    """An officer without a cadre record cannot be reviewed: 409 officer_not_reviewable."""
    response = review(client_for(vendor), decided)
    assert (response.status_code, response.json()["code"]) == (409, "officer_not_reviewable")
