"""Reviews through the API: the badge as proof of presence, one a day, points, answers."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review
from rankings import services as rankings_services

from .conftest import at

pytestmark = pytest.mark.django_db


def review(client, cadre, scanned, **body):
    payload = {"code": scanned, "rating": 5, "tags": ["attitude"], "comment": "很好"}
    payload.update(body)
    return client.post(f"/api/v1/cadres/{cadre.pk}/reviews", payload, format="json")


def test_it_creates_a_review_and_awards_points(resident_api, resident, cadre, badge):
    """A resident who scanned the badge reviews the cadre: 201 {id, points_awarded,
    verified}; through a badge the review is not verified."""
    response = review(resident_api, cadre, badge(cadre), tags=["efficiency", "attitude"])
    assert response.status_code == 201, response.json()
    body = response.json()
    assert set(body) == {"id", "points_awarded", "verified"}
    assert body["verified"] is False
    assert body["points_awarded"] == 10
    stored = Review.objects.get(pk=body["id"])
    assert (stored.cadre, stored.reviewer, stored.rating) == (cadre, resident, 5)
    assert stored.tags == ["attitude", "efficiency"]
    assert stored.points_awarded == 10


def test_it_refuses_a_second_review_the_same_day(resident_api, cadre, badge):
    """One review per user per cadre per Asia/Shanghai day: 409 already_reviewed_today."""
    assert review(resident_api, cadre, badge(cadre)).status_code == 201
    response = review(resident_api, cadre, badge(cadre), rating=1)
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed_today"
    assert Review.objects.count() == 1


def test_it_allows_another_review_the_next_shanghai_day(resident, cadre):
    """The day turns at midnight in Asia/Shanghai (16:00 UTC), not at midnight UTC."""
    evening = dt.datetime(2026, 3, 10, 15, 59, tzinfo=dt.UTC)  # 23:59 in Shanghai
    with at(evening):
        first = services.review_create(cadre=cadre, reviewer=resident, rating=4)
    with at(evening + dt.timedelta(minutes=2)):  # 00:01 the next day in Shanghai
        second = services.review_create(cadre=cadre, reviewer=resident, rating=4)
    assert (first.local_date, second.local_date) == (dt.date(2026, 3, 10), dt.date(2026, 3, 11))


def test_the_database_itself_refuses_two_reviews_a_day(resident, cadre):
    """The rule is a UNIQUE constraint, not only a check in Python."""
    services.review_create(cadre=cadre, reviewer=resident, rating=5)
    first = Review.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Review.objects.create(
            cadre=cadre,
            reviewer=resident,
            rating=3,
            created_at=first.created_at,
            local_date=first.local_date,
        )


def test_a_cadre_cannot_review_themselves(client_for, cadre_user, cadre, badge):
    """403 for the cadre's own badge."""
    response = review(client_for(cadre_user), cadre, badge(cadre))
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Review.objects.exists()


def test_it_refuses_an_inactive_cadre(resident_api, make_cadre, badge):
    """An inactive cadre takes no reviews: 409 cadre_inactive, nothing written."""
    retired = make_cadre(active=False)
    response = review(resident_api, retired, badge(retired))
    assert response.status_code == 409
    assert response.json()["code"] == "cadre_inactive"
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "body, field",
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": None}, "rating"),
        ({"rating": "five"}, "rating"),
        ({"rating": 10**30}, "rating"),
        ({"comment": "长" * 10_000}, "comment"),
        ({"tags": ["bribery"]}, "tags.0"),
        ({"tags": "attitude"}, "tags"),
        ({"code": None}, "code"),
        ({"code": "x" * 600}, "code"),
    ],
)
def test_it_refuses_bad_input_with_400(resident_api, cadre, badge, body, field):
    """Wrong types, nulls, out-of-range ratings, a 10,000-character comment: 400, nothing written."""
    response = review(resident_api, cadre, badge(cadre), **body)
    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert field in response.json()["fields"]
    assert not Review.objects.exists()


@pytest.mark.parametrize(
    "code, expected",
    [
        ("http://127.0.0.1:8000/q/c.1-1.AAAAAAAAAAAAAAAA", "code_invalid"),  # forged signature
        ("not a code at all", "code_invalid"),
        ("http://127.0.0.1:8000/q/" + "c." + "a" * 100, "code_invalid"),  # over-long
    ],
)
def test_it_refuses_a_forged_or_malformed_code(resident_api, cadre, code, expected):
    response = review(resident_api, cadre, code)
    assert response.status_code == 404
    assert response.json()["code"] == expected
    assert not Review.objects.exists()


def test_it_refuses_another_cadres_code(resident_api, cadre, make_cadre, badge):
    """A badge proves presence before that cadre only."""
    other = make_cadre()
    response = review(resident_api, cadre, badge(other))
    assert response.status_code == 404
    assert response.json()["code"] == "code_invalid"


def test_it_refuses_a_revoked_code(resident_api, cadre, badge, unit_admin):
    """After rotation the old badge is 404 code_revoked."""
    old = badge(cadre)
    services.cadre_code_rotate(cadre=cadre, actor=unit_admin)
    response = review(resident_api, cadre, old)
    assert response.status_code == 404
    assert response.json()["code"] == "code_revoked"
    assert review(resident_api, cadre, badge(cadre)).status_code == 201


def test_an_unknown_cadre_is_404(resident_api, cadre, badge):
    response = resident_api.post(
        "/api/v1/cadres/999999999999999999/reviews",
        {"code": badge(cadre), "rating": 5},
        format="json",
    )
    assert response.status_code == 404
    assert resident_api.post("/api/v1/cadres/9999999999999999999/reviews").status_code == 404


def test_an_anonymous_review_is_401(api, cadre, badge):
    response = review(api, cadre, badge(cadre))
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"


def test_it_replays_an_idempotent_review(resident_api, cadre, badge):
    """The same Idempotency-Key returns the first answer and writes nothing again."""
    body = {"code": badge(cadre), "rating": 4}
    url = f"/api/v1/cadres/{cadre.pk}/reviews"
    first = resident_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = resident_api.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert Review.objects.count() == 1


def test_the_daily_points_cap_applies(resident, make_cadre):
    """Reviews beyond REVIEW_POINTS_DAILY_CAP in a day still count, for no points."""
    awarded = [
        services.review_create(cadre=make_cadre(), reviewer=resident, rating=5).points_awarded
        for _ in range(4)
    ]
    assert awarded == [10, 10, 10, 0]


def test_reviews_are_throttled_per_user(resident_api, make_cadre, badge, settings, monkeypatch):
    """The `review` scope limits each user (30 an hour by default)."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "review": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    statuses = [
        review(resident_api, c, badge(c)).status_code for c in [make_cadre() for _ in range(3)]
    ]
    assert statuses == [201, 201, 429]


def test_the_user_rate_holds_for_reviews_in_the_same_step(
    resident_api, make_cadre, badge, settings, monkeypatch
):
    """The review counts against the user's overall rate too (one Redis call for both):
    with that rate full the scope's room does not help."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {
        **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "user": "2/hour",
        "review": "100/hour",
    }
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    statuses = [
        review(resident_api, c, badge(c)).status_code for c in [make_cadre() for _ in range(3)]
    ]
    assert statuses == [201, 201, 429]
    assert Review.objects.count() == 2


def test_a_deactivated_or_deleted_account_cannot_review_with_its_token(
    client_for, resident, make_user, make_cadre, badge
):
    """The token alone authenticates the review; its INSERT refuses an account that was
    deactivated (or deleted) since the token was issued: 401 `token_invalid`, nothing
    written; reactivated, the same token reviews."""
    from points.models import Entry

    cadre = make_cadre()
    api = client_for(resident)
    resident.is_active = False
    resident.save(update_fields=["is_active"])
    response = review(api, cadre, badge(cadre))
    assert response.status_code == 401, response.json()
    assert response.json()["code"] == "token_invalid"
    gone = make_user()
    gone_api = client_for(gone)
    gone.delete()
    response = review(gone_api, cadre, badge(cadre))
    assert response.status_code == 401, response.json()
    assert not Review.objects.exists()
    assert not Entry.objects.exists()
    resident.is_active = True
    resident.save(update_fields=["is_active"])
    assert review(api, cadre, badge(cadre)).status_code == 201


def test_the_service_guards_its_own_input(resident, cadre):
    """Callers other than the API (the stalls app) get the same 400s from the service."""
    from core.errors import Invalid

    for kwargs in (
        {"rating": 0},
        {"rating": True},
        {"rating": 3, "comment": "x" * 501},
        {"rating": 3, "tags": ["nope"]},
    ):
        with pytest.raises(Invalid):
            services.review_create(cadre=cadre, reviewer=resident, **kwargs)
    assert not Review.objects.exists()


# --- Answers and verdicts ------------------------------------------------------------


@pytest.fixture
def bad_review(resident, cadre):
    return services.review_create(cadre=cadre, reviewer=resident, rating=1, comment="等了很久")


def test_the_cadre_answers_once(client_for, cadre_user, bad_review):
    """201 with the answer; a second answer is 409 already_responded."""
    client = client_for(cadre_user)
    url = f"/api/v1/reviews/{bad_review.pk}/response"
    response = client.post(url, {"message": "抱歉，已改进流程"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["response"]["message"] == "抱歉，已改进流程"
    again = client.post(url, {"message": "再答"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "already_responded"
    bad_review.refresh_from_db()
    assert bad_review.response_message == "抱歉，已改进流程"


def test_the_unit_admin_may_answer(client_for, unit_admin, bad_review):
    response = client_for(unit_admin).post(
        f"/api/v1/reviews/{bad_review.pk}/response", {"message": "已处理"}, format="json"
    )
    assert response.status_code == 201


def test_others_may_not_answer(client_for, make_user, make_unit, other_resident, bad_review):
    """Another unit's admin, a plain resident: 403, nothing written."""
    stranger_admin = make_user(Role.UNIT_ADMIN, unit=make_unit().pk)
    for user in (stranger_admin, other_resident):
        response = client_for(user).post(
            f"/api/v1/reviews/{bad_review.pk}/response", {"message": "x"}, format="json"
        )
        assert response.status_code == 403
    bad_review.refresh_from_db()
    assert bad_review.responded_at is None


def test_an_empty_or_long_answer_is_400(client_for, cadre_user, bad_review):
    client = client_for(cadre_user)
    for message in ("", "x" * 1001, None):
        response = client.post(
            f"/api/v1/reviews/{bad_review.pk}/response", {"message": message}, format="json"
        )
        assert response.status_code == 400


def test_the_reviewer_gives_one_verdict(resident_api, client_for, cadre_user, bad_review):
    """Before an answer: 409 not_responded; then one verdict; a second is 409."""
    url = f"/api/v1/reviews/{bad_review.pk}/verdict"
    assert (
        resident_api.post(url, {"accepted": False}, format="json").json()["code"] == "not_responded"
    )
    services.review_respond(review=bad_review, responder=cadre_user, message="已改进")
    response = resident_api.post(url, {"accepted": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["response"]["accepted"] is False
    again = resident_api.post(url, {"accepted": True}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "verdict_already_given"
    bad_review.refresh_from_db()
    assert bad_review.verdict_accepted is False


def test_only_the_reviewer_gives_a_verdict(client_for, other_resident, cadre_user, bad_review):
    services.review_respond(review=bad_review, responder=cadre_user, message="已改进")
    for user in (other_resident, cadre_user):
        response = client_for(user).post(
            f"/api/v1/reviews/{bad_review.pk}/verdict", {"accepted": True}, format="json"
        )
        assert response.status_code == 403
    bad_review.refresh_from_db()
    assert bad_review.verdict_at is None


def test_a_verdict_needs_a_boolean(resident_api, bad_review):
    response = resident_api.post(
        f"/api/v1/reviews/{bad_review.pk}/verdict", {"accepted": "maybe"}, format="json"
    )
    assert response.status_code == 400


def test_unknown_reviews_are_404(resident_api):
    assert (
        resident_api.post(
            "/api/v1/reviews/424242/verdict", {"accepted": True}, format="json"
        ).status_code
        == 404
    )
    assert (
        resident_api.post(
            "/api/v1/reviews/424242/response", {"message": "x"}, format="json"
        ).status_code
        == 404
    )


# --- Reading reviews -----------------------------------------------------------------


def test_my_reviews_show_the_answer(
    resident_api, resident, cadre_user, bad_review, other_resident, cadre
):
    """GET /reviews/mine lists the user's own reviews only, with any answer."""
    services.review_create(cadre=cadre, reviewer=other_resident, rating=5)
    services.review_respond(review=bad_review, responder=cadre_user, message="已改进")
    body = resident_api.get("/api/v1/reviews/mine").json()
    assert [r["id"] for r in body["results"]] == [bad_review.pk]
    assert body["results"][0]["response"]["message"] == "已改进"
    assert body["results"][0]["cadre"]["unit"]["name"] == cadre.unit.name


def test_the_cadre_sees_reviews_without_the_reviewer(client_for, cadre_user, bad_review, resident):
    """GET /cadre/reviews never names, numbers or ids the reviewer."""
    response = client_for(cadre_user).get("/api/v1/cadre/reviews")
    assert response.status_code == 200
    [item] = response.json()["results"]
    assert item["id"] == bad_review.pk
    assert item["needs_response"] is True
    text = response.content.decode()
    assert resident.phone not in text and resident.display_name not in text
    assert "reviewer" not in item


def test_it_gives_every_review_time_in_shanghai_time(
    resident_api, client_for, cadre_user, bad_review
):
    """Times in the cadres API carry +08:00, as in points and stalls (never UTC "Z")."""
    answered = client_for(cadre_user).post(
        f"/api/v1/reviews/{bad_review.pk}/response", {"message": "已改进"}, format="json"
    )
    verdict = resident_api.post(
        f"/api/v1/reviews/{bad_review.pk}/verdict", {"accepted": True}, format="json"
    )
    [mine] = resident_api.get("/api/v1/reviews/mine").json()["results"]
    [seen] = client_for(cadre_user).get("/api/v1/cadre/reviews").json()["results"]
    times = [
        answered.json()["created_at"],
        answered.json()["response"]["responded_at"],
        verdict.json()["response"]["responded_at"],
        verdict.json()["response"]["verdict_at"],
        mine["created_at"],
        mine["response"]["responded_at"],
        mine["response"]["verdict_at"],
        seen["created_at"],
        seen["response"]["verdict_at"],
    ]
    for text in times:
        assert text.endswith("+08:00"), text
        assert dt.datetime.fromisoformat(text).utcoffset() == dt.timedelta(hours=8)


def test_a_resident_is_not_a_cadre(resident_api):
    assert resident_api.get("/api/v1/cadre/reviews").status_code == 403


def test_the_cadres_reviews_are_their_own_only(client_for, cadre_user, make_cadre, other_resident):
    services.review_create(cadre=make_cadre(), reviewer=other_resident, rating=2)
    assert client_for(cadre_user).get("/api/v1/cadre/reviews").json()["results"] == []


def test_lists_take_a_fixed_number_of_queries(
    resident_api, resident, make_cadre, django_assert_num_queries
):
    """GET /reviews/mine: the same queries for 3 reviews as for 1 (select_related)."""
    for _ in range(3):
        services.review_create(cadre=make_cadre(), reviewer=resident, rating=4)
    resident_api.get("/api/v1/reviews/mine")  # warm the user's groups
    # Authentication (user), the page of reviews with cadre and unit joined.
    with django_assert_num_queries(2):
        response = resident_api.get("/api/v1/reviews/mine")
    assert len(response.json()["results"]) == 3


# --- Overdue -------------------------------------------------------------------------


def test_bad_reviews_unanswered_after_72_hours_are_recorded_overdue(
    resident, other_resident, cadre, cadre_user
):
    """The hourly task records them once; answered or good reviews are not overdue."""
    start = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    with at(start):
        late = services.review_create(cadre=cadre, reviewer=resident, rating=2)
        answered = services.review_create(cadre=cadre, reviewer=other_resident, rating=1)
    services.review_respond(review=answered, responder=cadre_user, message="已处理")
    assert services.reviews_mark_overdue(now=start + dt.timedelta(hours=71)) == 0
    assert services.reviews_mark_overdue(now=start + dt.timedelta(hours=73)) == 1
    assert services.reviews_mark_overdue(now=start + dt.timedelta(hours=74)) == 0
    late.refresh_from_db()
    assert late.overdue_at == start + dt.timedelta(hours=73)


def test_the_unit_admin_sees_the_overdue_count(
    client_for, unit_admin, make_user, resident, cadre, make_unit
):
    start = dt.datetime(2026, 3, 1, 2, 0, tzinfo=dt.UTC)
    with at(start):
        services.review_create(cadre=cadre, reviewer=resident, rating=1)
    services.reviews_mark_overdue(now=start + dt.timedelta(hours=80))
    body = client_for(unit_admin).get(f"/api/v1/units/{cadre.unit_id}/review-summary").json()
    assert body["overdue"] == 1 and body["unanswered_bad"] == 1
    stranger = make_user(Role.UNIT_ADMIN, unit=make_unit().pk)
    assert (
        client_for(stranger).get(f"/api/v1/units/{cadre.unit_id}/review-summary").status_code == 403
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_reviews_at_once_leave_one(resident, cadre):
    """Twin requests race past the friendly check; the UNIQUE constraint keeps one."""
    import threading

    from django.db import connection

    from cadres.errors import AlreadyReviewedToday

    barrier = threading.Barrier(2)
    outcomes = []

    def submit():
        try:
            barrier.wait()
            services.review_create(cadre=cadre, reviewer=resident, rating=5)
            outcomes.append("created")
        except AlreadyReviewedToday:
            outcomes.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["409", "created"]
    assert Review.objects.count() == 1


def test_the_cadres_list_takes_a_fixed_number_of_queries(
    client_for, cadre_user, cadre, make_user, django_assert_num_queries
):
    """GET /cadre/reviews: user, the cadre, the page: the same for 1 review as for 4."""
    for _ in range(4):
        services.review_create(cadre=cadre, reviewer=make_user(), rating=2)
    client = client_for(cadre_user)
    client.get("/api/v1/cadre/reviews")  # warm the user's groups
    with django_assert_num_queries(4):
        response = client.get("/api/v1/cadre/reviews")
    assert len(response.json()["results"]) == 4


def test_an_excluded_review_is_kept_and_no_longer_counted(cadre, resident):
    """review_exclude marks the row with why; the month's counts skip it; a second
    exclusion keeps the first reason."""
    review = Review.objects.create(
        cadre=cadre,
        reviewer=resident,
        rating=1,
        created_at=timezone.now(),
        local_date=timezone.localdate(),
    )
    month = review.local_date.replace(day=1)
    assert rankings_services.month_counts(month=month)[cadre.pk].reviews == 1
    assert services.review_exclude(review_id=review.pk, reason=Exclusion.APPEAL) is True
    assert services.review_exclude(review_id=review.pk, reason=Exclusion.FRAUD) is False
    review.refresh_from_db()
    assert review.excluded_reason == Exclusion.APPEAL and review.excluded_at is not None
    assert cadre.pk not in rankings_services.month_counts(month=month)
