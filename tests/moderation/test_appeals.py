"""Appeals (申诉复核): a cadre or its unit admin appeals a review within 7 days; an appeal
reviewer outside the cadre's unit decides within 5 working days; an upheld appeal
excludes the review from the rankings and the reviewer sees the outcome, never who
decided. Reviewers stay anonymous in every body."""

import datetime as dt
import json
import threading

import pytest
from django.db import connection

from accounts.roles import Role
from cadres import services
from cadres.models import Exclusion, Review
from core.timezones import LOCAL_TZ
from moderation import selectors, workdays
from moderation import services as moderation_services
from moderation.errors import AppealAlreadyDecided
from moderation.models import Appeal, Holiday
from points.models import Account, Entry

from .conftest import at

# Thursday 26 November 2026, 10:00 in Kangbashi.
THURSDAY = dt.datetime(2026, 11, 26, 10, 0, tzinfo=LOCAL_TZ)
REASON = "评价人当天并未来窗口办理业务，与事实不符。"


@pytest.fixture
def review(cadre, resident):
    with at(THURSDAY - dt.timedelta(days=1)):
        return services.review_create(cadre=cadre, reviewer=resident, rating=1, comment="态度差")


@pytest.fixture
def appeal_reviewer(make_user):
    return make_user(Role.APPEAL_REVIEWER, display_name="Ada Appeals")


def appeal(client, review, reason=REASON, moment=THURSDAY):
    with at(moment):
        return client.post(f"/api/v1/reviews/{review.pk}/appeal", {"reason": reason}, format="json")


def assert_no_reviewer_in(body, reviewer):
    """Neither the reviewer's id, phone nor name appears anywhere in `body`."""
    text = json.dumps(body, ensure_ascii=False)
    assert reviewer.phone not in text and reviewer.phone[3:] not in text
    assert reviewer.display_name not in text
    assert "reviewer" not in text


# --- Working days ------------------------------------------------------------------------


@pytest.mark.django_db
def test_five_working_days_skip_the_weekend_and_the_holidays():
    """From a Thursday: Fri, Mon, Tue, Wed, Thu; a holiday on the Tuesday adds a day."""
    thursday = dt.date(2026, 11, 26)
    assert workdays.add_working_days(thursday, 5) == dt.date(2026, 12, 3)
    assert workdays.add_working_days(dt.date(2026, 11, 28), 1) == dt.date(2026, 11, 30)
    Holiday.objects.create(date=dt.date(2026, 12, 1), name="测试假日")
    assert workdays.add_working_days(thursday, 5) == dt.date(2026, 12, 4)


@pytest.mark.django_db
def test_a_long_holiday_run_is_read_past_the_first_window():
    """Six weeks of holidays after the start: the count carries on past them."""
    start = dt.date(2026, 1, 1)
    Holiday.objects.bulk_create(
        Holiday(date=start + dt.timedelta(days=n), name=f"h{n}") for n in range(1, 43)
    )
    assert workdays.add_working_days(start, 1) == dt.date(2026, 2, 13)  # a Friday


def test_the_appeal_is_due_at_the_end_of_the_fifth_working_day(api, client_for, cadre_user, review):
    """Appealed on Thursday: due Thursday next week at 23:59:59 Asia/Shanghai, across
    the weekend; a Saturday 01:00 in Kangbashi (Friday UTC) counts from Saturday."""
    response = appeal(client_for(cadre_user), review)
    assert response.status_code == 201, response.content
    assert response.json()["due_at"] == "2026-12-03T23:59:59+08:00"
    saturday_early = dt.datetime(2026, 11, 27, 17, 0, tzinfo=dt.UTC)  # Sat 01:00 +08:00
    assert workdays.due_after(saturday_early, 5).isoformat() == "2026-12-04T23:59:59+08:00"


# --- Appealing ---------------------------------------------------------------------------


def test_the_cadre_appeals_a_review_within_7_days(client_for, cadre_user, review, resident):
    response = appeal(client_for(cadre_user), review)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {
        "id",
        "review",
        "reason",
        "status",
        "due_at",
        "created_at",
        "decided_at",
        "outcome",
        "decision_reason",
    }
    assert (body["review"], body["status"], body["outcome"], body["decided_at"]) == (
        review.pk,
        "pending",
        None,
        None,
    )
    assert body["created_at"] == "2026-11-26T10:00:00+08:00"
    assert_no_reviewer_in(body, resident)
    assert Appeal.objects.get().appellant == cadre_user


def test_the_unit_admin_appeals_for_the_cadre(client_for, unit_admin, review):
    assert appeal(client_for(unit_admin), review).status_code == 201


@pytest.mark.parametrize("who", ["other_cadre", "other_unit_admin", "resident", "district"])
def test_others_cannot_appeal(client_for, make_user, make_cadre, make_unit, review, who):
    """Another cadre, another unit's admin, the reviewer: 403, nothing written."""
    other_unit = make_unit()
    users = {
        "other_cadre": lambda: make_user(Role.CADRE, cadre=make_cadre(unit=review.cadre.unit).pk),
        "other_unit_admin": lambda: make_user(Role.UNIT_ADMIN, unit=other_unit.pk),
        "resident": lambda: review.reviewer,
        "district": lambda: make_user(Role.APPEAL_REVIEWER),
    }
    response = appeal(client_for(users[who]()), review)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert not Appeal.objects.exists()


def test_one_appeal_per_review(client_for, cadre_user, unit_admin, review):
    assert appeal(client_for(cadre_user), review).status_code == 201
    response = appeal(client_for(unit_admin), review)
    assert response.status_code == 409
    assert response.json()["code"] == "appeal_exists"
    assert Appeal.objects.count() == 1


def test_the_window_closes_after_7_days(client_for, cadre_user, review):
    late = review.created_at + dt.timedelta(days=7, seconds=1)
    response = appeal(client_for(cadre_user), review, moment=late)
    assert response.status_code == 409
    assert response.json()["code"] == "appeal_window_closed"
    just_in_time = review.created_at + dt.timedelta(days=7)
    assert appeal(client_for(cadre_user), review, moment=just_in_time).status_code == 201


@pytest.mark.parametrize("reason", ["太短了，九个字啊", "x" * 501, "          x         "])
def test_the_reason_has_10_to_500_characters(client_for, cadre_user, review, reason):
    response = appeal(client_for(cadre_user), review, reason=reason)
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and "reason" in response.json()["fields"]
    assert not Appeal.objects.exists()


def test_appealing_is_throttled(client_for, cadre_user, cadre, make_user, settings, monkeypatch):
    """The `appeal` scope limits each user (30 an hour by default)."""
    from rest_framework.throttling import SimpleRateThrottle

    rates = {**settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"], "appeal": "2/hour"}
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", rates)
    client = client_for(cadre_user)
    statuses = []
    for _ in range(3):
        with at(THURSDAY):
            review = services.review_create(cadre=cadre, reviewer=make_user(), rating=2)
        statuses.append(appeal(client, review).status_code)
    assert statuses == [201, 201, 429]


# --- Deciding ----------------------------------------------------------------------------


@pytest.fixture
def pending(cadre_user, review):
    with at(THURSDAY):
        return moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)


def decide(client, pending, upheld=True, reason="核实监控，评价人当天未到场。"):
    return client.post(
        f"/api/v1/appeals/{pending.pk}/decide", {"upheld": upheld, "reason": reason}, format="json"
    )


def test_an_upheld_appeal_excludes_the_review_and_keeps_its_points(
    client_for, appeal_reviewer, pending, resident
):
    balance_before = (
        list(Entry.objects.filter(account__owner=resident).values_list("amount")),
        list(Account.objects.filter(owner=resident).values_list("balance")),
    )
    response = decide(client_for(appeal_reviewer), pending)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["outcome"]) == ("decided", "upheld")
    assert_no_reviewer_in(body, resident)
    assert "Ada" not in json.dumps(body)
    review = Review.objects.get(pk=pending.review_id)
    assert review.excluded_reason == Exclusion.APPEAL and review.excluded_at is not None
    # Kept, and the points it earned stay paid (no entry taking them back).
    assert review.points_awarded == 10
    after = (
        list(Entry.objects.filter(account__owner=resident).values_list("amount")),
        list(Account.objects.filter(owner=resident).values_list("balance")),
    )
    assert after == balance_before
    assert Appeal.objects.get().decided_by == appeal_reviewer


def test_a_dismissed_appeal_leaves_the_review_counting(client_for, appeal_reviewer, pending):
    response = decide(client_for(appeal_reviewer), pending, upheld=False)
    assert response.json()["outcome"] == "dismissed"
    assert Review.objects.get(pk=pending.review_id).excluded_reason == ""


def test_the_reviewer_sees_the_outcome_but_not_the_decider(
    client_for, appeal_reviewer, pending, resident
):
    mine = client_for(resident).get("/api/v1/reviews/mine").json()["results"][0]
    assert mine["appeal"] == {
        "status": "pending",
        "outcome": None,
        "reason": None,
        "decided_at": None,
    }
    decide(client_for(appeal_reviewer), pending, reason="核实监控，评价人当天未到场。")
    mine = client_for(resident).get("/api/v1/reviews/mine").json()["results"][0]
    assert mine["appeal"]["outcome"] == "upheld"
    assert mine["appeal"]["reason"] == "核实监控，评价人当天未到场。"
    assert set(mine["appeal"]) == {"status", "outcome", "reason", "decided_at"}
    text = json.dumps(mine, ensure_ascii=False)
    assert appeal_reviewer.phone not in text and "Ada" not in text


def test_a_review_without_appeal_shows_null(client_for, resident, review):
    assert client_for(resident).get("/api/v1/reviews/mine").json()["results"][0]["appeal"] is None


def test_the_cadre_sees_its_appeal_on_its_reviews(client_for, cadre_user, pending, resident):
    rows = client_for(cadre_user).get("/api/v1/cadre/reviews").json()["results"]
    assert rows[0]["appeal"]["status"] == "pending"
    assert_no_reviewer_in(rows, resident)


def test_it_decides_once(client_for, appeal_reviewer, make_user, pending):
    assert decide(client_for(appeal_reviewer), pending).status_code == 200
    second = decide(client_for(make_user(Role.APPEAL_REVIEWER)), pending, upheld=False)
    assert second.status_code == 409
    assert second.json()["code"] == "appeal_already_decided"
    assert Appeal.objects.get().outcome == "upheld"


@pytest.mark.parametrize(
    "who", ["the_cadre", "unit_admin_reviewer", "same_unit_cadre", "district_admin", "resident"]
)
def test_only_an_appeal_reviewer_outside_the_unit_decides(
    client_for, make_user, make_cadre, pending, cadre_user, who
):
    unit = pending.review.cadre.unit
    users = {
        # The cadre holding the appeal_reviewer role too.
        "the_cadre": lambda: make_user(Role.APPEAL_REVIEWER, phone=cadre_user.phone),
        "unit_admin_reviewer": lambda: make_user(
            Role.APPEAL_REVIEWER, phone=make_user(Role.UNIT_ADMIN, unit=unit.pk).phone
        ),
        "same_unit_cadre": lambda: make_user(
            Role.APPEAL_REVIEWER,
            phone=make_user(Role.CADRE, cadre=make_cadre(unit=unit).pk).phone,
        ),
        "district_admin": lambda: make_user(Role.DISTRICT_ADMIN),
        "resident": lambda: pending.review.reviewer,
    }
    response = decide(client_for(users[who]()), pending)
    assert response.status_code == 403
    appeal = Appeal.objects.get()
    assert (appeal.status, appeal.decided_by) == ("pending", None)
    assert Review.objects.get(pk=pending.review_id).excluded_reason == ""


def test_a_decision_needs_a_reason(client_for, appeal_reviewer, pending):
    response = decide(client_for(appeal_reviewer), pending, reason="")
    assert response.status_code == 400
    assert Appeal.objects.get().status == "pending"


def test_an_unknown_appeal_is_404(client_for, appeal_reviewer):
    response = client_for(appeal_reviewer).post(
        "/api/v1/appeals/999999/decide", {"upheld": True, "reason": "x"}, format="json"
    )
    assert response.status_code == 404


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_deciders_at_once_leave_one_decision(make_user, make_cadre, make_unit):
    """Two appeal reviewers decide the same appeal in two threads at the same moment:
    one decision is recorded, the other is refused with appeal_already_decided."""
    cadre = make_cadre(unit=make_unit())
    owner = make_user(Role.CADRE, cadre=cadre.pk)
    review = services.review_create(cadre=cadre, reviewer=make_user(), rating=1)
    pending = moderation_services.appeal_create(review=review, appellant=owner, reason=REASON)
    deciders = [make_user(Role.APPEAL_REVIEWER) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes = []

    def run(decider, upheld):
        try:
            barrier.wait()
            appeal = selectors.appeal_get(pk=pending.pk)
            moderation_services.appeal_decide(
                appeal=appeal, decider=decider, upheld=upheld, reason="r"
            )
            outcomes.append("decided")
        except AppealAlreadyDecided:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [
        threading.Thread(target=run, args=(deciders[0], True)),
        threading.Thread(target=run, args=(deciders[1], False)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["decided", "refused"]
    appeal = Appeal.objects.get()
    review.refresh_from_db()
    # The review is excluded exactly when the recorded decision upheld it.
    assert (review.excluded_reason == Exclusion.APPEAL) == (appeal.outcome == "upheld")


# --- Lists -------------------------------------------------------------------------------


def test_the_queue_lists_pending_overdue_and_decided(
    client_for, appeal_reviewer, make_user, cadre, cadre_user, resident
):
    reviews = []
    for day in (1, 2, 3):
        with at(THURSDAY.replace(day=20 + day)):
            reviews.append(
                services.review_create(cadre=cadre, reviewer=make_user(), rating=2, comment="慢")
            )
    appeals = []
    for review, moment in zip(
        reviews,
        [THURSDAY - dt.timedelta(days=3), THURSDAY, THURSDAY],
        strict=True,
    ):
        with at(moment):
            appeals.append(
                moderation_services.appeal_create(
                    review=review, appellant=cadre_user, reason=REASON
                )
            )
    moderation_services.appeal_decide(
        appeal=appeals[2], decider=appeal_reviewer, upheld=False, reason="r"
    )
    client = client_for(appeal_reviewer)
    # Next Wednesday: the first (appealed last Monday, due Friday) is overdue.
    with at(dt.datetime(2026, 12, 2, 10, 0, tzinfo=LOCAL_TZ)):
        pending = client.get("/api/v1/appeals").json()["results"]
        overdue = client.get("/api/v1/appeals?state=overdue").json()["results"]
    decided = client.get("/api/v1/appeals?state=decided").json()["results"]
    assert [a["id"] for a in pending] == [appeals[0].pk, appeals[1].pk]
    assert [a["overdue"] for a in pending] == [True, False]
    assert [a["id"] for a in overdue] == [appeals[0].pk]
    assert [a["id"] for a in decided] == [appeals[2].pk]
    item = pending[0]
    assert item["review"]["rating"] == 2 and item["review"]["comment"] == "慢"
    assert item["review"]["cadre"]["id"] == cadre.pk
    for body in (pending, overdue, decided):
        for reviewer in (r.reviewer for r in reviews):
            assert_no_reviewer_in(body, reviewer)


def test_the_queue_is_for_appeal_reviewers_and_district_admins(
    client_for, resident, cadre_user, district_admin, pending
):
    assert client_for(resident).get("/api/v1/appeals").status_code == 403
    assert client_for(cadre_user).get("/api/v1/appeals").status_code == 403
    assert client_for(district_admin).get("/api/v1/appeals").status_code == 200
    response = client_for(district_admin).get("/api/v1/appeals?state=everything")
    assert response.status_code == 400


def test_the_queue_query_count_is_bounded(
    client_for, appeal_reviewer, cadre, cadre_user, make_user, django_assert_max_num_queries
):
    for _ in range(5):
        with at(THURSDAY):
            review = services.review_create(cadre=cadre, reviewer=make_user(), rating=1)
            moderation_services.appeal_create(review=review, appellant=cadre_user, reason=REASON)
    client = client_for(appeal_reviewer)
    with django_assert_max_num_queries(8):
        assert len(client.get("/api/v1/appeals").json()["results"]) == 5


def test_the_cadre_lists_its_own_appeals_and_the_unit_admin_its_units(
    client_for, cadre_user, unit_admin, make_user, make_cadre, make_unit, pending, resident
):
    other = make_cadre(unit=make_unit())
    other_user = make_user(Role.CADRE, cadre=other.pk)
    with at(THURSDAY):
        other_review = services.review_create(cadre=other, reviewer=make_user(), rating=1)
        moderation_services.appeal_create(review=other_review, appellant=other_user, reason=REASON)
    mine = client_for(cadre_user).get("/api/v1/cadre/appeals").json()["results"]
    assert [a["id"] for a in mine] == [pending.pk]
    assert_no_reviewer_in(mine, resident)
    units = client_for(unit_admin).get("/api/v1/cadre/appeals").json()["results"]
    assert [a["id"] for a in units] == [pending.pk]
    assert client_for(resident).get("/api/v1/cadre/appeals").status_code == 403


# --- The appeal-as-a-habit signal ----------------------------------------------------------


def test_cadres_appealing_more_than_half_their_bad_reviews(make_cadre, make_user, unit):
    """November: A appeals 2 of 3 bad reviews (listed), B 1 of 2 (exactly half: not)."""
    a, b = make_cadre(unit=unit), make_cadre(unit=unit)
    appellant = make_user(Role.CADRE, cadre=a.pk)
    for cadre, bad, appealed in ((a, 3, 2), (b, 2, 1)):
        for index in range(bad):
            with at(THURSDAY):
                review = services.review_create(cadre=cadre, reviewer=make_user(), rating=1)
            if index < appealed:
                with at(THURSDAY):
                    moderation_services.appeal_create(
                        review=review, appellant=appellant, reason=REASON
                    )
        with at(THURSDAY):
            services.review_create(cadre=cadre, reviewer=make_user(), rating=5)
    assert selectors.cadres_appealing_most(month=dt.date(2026, 11, 1)) == [a.pk]
    assert selectors.cadres_appealing_most(month=dt.date(2026, 10, 1)) == []


def test_the_queue_pages_reach_every_appeal_once_due_first(
    client_for, appeal_reviewer, cadre, cadre_user, make_user
):
    created = []
    for day in (24, 23, 25):  # appealed out of order: due dates out of order too
        moment = dt.datetime(2026, 11, day, 10, 0, tzinfo=LOCAL_TZ)
        with at(moment):
            review = services.review_create(cadre=cadre, reviewer=make_user(), rating=1)
            created.append(
                moderation_services.appeal_create(
                    review=review, appellant=cadre_user, reason=REASON
                )
            )
    client = client_for(appeal_reviewer)
    url, seen = "/api/v1/appeals?page_size=1", []
    while url:
        page = client.get(url).json()
        seen += [item["id"] for item in page["results"]]
        url = page["next"]
    assert seen == [created[1].pk, created[0].pk, created[2].pk]
