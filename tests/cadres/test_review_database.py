"""The review POST against PostgreSQL: its round trips counted, and real threads at once.

Each thread is its own database connection (PostgreSQL here is shared by several test
runs, so at most 20 threads).
"""

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from accounts.consent import consent_claim_set
from accounts.models import User
from cadres.models import Review
from moderation.models import ReviewFlag
from notifications.models import Notification
from points.models import Entry, ReviewAward
from points.selectors import resident_summary
from points.verification import ledger_verify
from tests.conftest import next_phone

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

# The cadre, BEGIN, the review (with its points; in the same statement the reviewer's
# account checked active, since the token alone authenticates, and the resident's
# points account created-or-locked), the award, the ledger posting, COMMIT.
MAX_STATEMENTS = 6
# A bad review (1-2) adds one: the cadre's notification (the outbox row) in the same
# transaction. A good review adds nothing.
MAX_STATEMENTS_BAD = MAX_STATEMENTS + 1
# A review through a service ticket adds the ticket's conditional UPDATE and the cadre's
# `ticket_review` notification (the outbox row), in the same transaction.
MAX_STATEMENTS_TICKET = MAX_STATEMENTS + 2
THREADS = 20


def client(user) -> APIClient:
    """Signed in with a token that carries the accepted privacy notice's version (the
    consent gate's claim, accounts/consent.py), so the gate reads nothing. No session id
    in it (as `issue_token`'s): a sign-in's session is checked in Redis, and without Redis
    in the database, a statement that is the sign-out's, not the review's."""
    refresh = RefreshToken.for_user(user)
    consent_claim_set(refresh, user=user)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {refresh.access_token}")
    return api


def post_review(api, cadre, code, rating=5):
    return api.post(
        f"/api/v1/cadres/{cadre.pk}/reviews",
        {"code": code, "rating": rating, "tags": ["attitude"], "comment": "好"},
        format="json",
    )


def until_commit(queries) -> list[str]:
    """The request's statements up to its COMMIT: without Redis the SMS task queued on
    commit runs right there (eagerly), and is the outbox's work, not the review's."""
    statements = [query["sql"] for query in queries.captured_queries]
    return statements[: statements.index("COMMIT") + 1] if "COMMIT" in statements else statements


def run_at_once(calls):
    """The callables on threads that start together; their results in order."""
    barrier = threading.Barrier(min(THREADS, len(calls)))
    started = threading.local()

    def run(call):
        if not getattr(started, "done", False):
            started.done = True
            barrier.wait(timeout=30)
        try:
            return call()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return list(pool.map(run, calls))


def test_it_creates_a_review_in_at_most_6_statements(resident, make_cadre, badge):
    """A review with points, through the API with a real token: every statement counted,
    BEGIN and COMMIT included, and no savepoint; the same for a resident's first review
    and a later one, and for a refused second review of the day."""
    first, second = make_cadre(), make_cadre()
    api = client(resident)
    for cadre in (first, second):
        with CaptureQueriesContext(connection) as queries:
            response = post_review(api, cadre, badge(cadre))
        assert response.status_code == 201, response.json()
        assert response.json()["points_awarded"] == 10
        statements = [query["sql"] for query in queries.captured_queries]
        assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
        assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    with CaptureQueriesContext(connection) as queries:
        response = post_review(api, first, badge(first), rating=1)
    assert response.status_code == 409
    assert response.json()["code"] == "already_reviewed_today"
    assert len(queries.captured_queries) <= 4
    assert resident_summary(user=resident).redeemable == 20
    assert ledger_verify().ok


def test_a_bad_review_adds_only_the_cadres_notification(resident, cadre, cadre_user, badge):
    """The cadre (linked to a user) is notified in the review's transaction: one INSERT
    more than a good review, no savepoint; its SMS is queued after the commit."""
    cadre.refresh_from_db()
    api = client(resident)
    with CaptureQueriesContext(connection) as queries:
        response = post_review(api, cadre, badge(cadre), rating=1)
    assert response.status_code == 201, response.json()
    statements = until_commit(queries)
    assert len(statements) <= MAX_STATEMENTS_BAD, "\n".join(statements)
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    assert Notification.objects.get().user == cadre_user


def test_it_answers_twin_reviews_with_one_201_and_one_409(resident, cadre, badge):
    """The same reviewer sends the same review twice at the same moment: one review, one
    award, one 201 and one 409 already_reviewed_today."""
    code = badge(cadre)
    responses = run_at_once([lambda: post_review(client(resident), cadre, code) for _ in range(2)])
    assert sorted(r.status_code for r in responses) == [201, 409]
    refused = next(r for r in responses if r.status_code == 409)
    assert refused.json()["code"] == "already_reviewed_today"
    assert Review.objects.count() == 1
    assert ReviewAward.objects.count() == 1
    assert resident_summary(user=resident).redeemable == 10
    assert ledger_verify().ok


def test_it_keeps_the_ledger_verified_under_many_concurrent_reviews(
    make_user, make_cadre, badge, settings
):
    """40 reviewers review 3 cadres each, all at once (120 reviews, a cap of 2 a day):
    every review stored once, 2 awards with points per reviewer, and verify_ledger clean."""
    settings.REVIEW_POINTS_DAILY_CAP = 2
    cadres = [make_cadre() for _ in range(3)]
    codes = {cadre.pk: badge(cadre) for cadre in cadres}
    reviewers = [make_user(phone=next_phone()) for _ in range(40)]
    calls = [
        lambda user=user, cadre=cadre: post_review(client(user), cadre, codes[cadre.pk])
        for user in reviewers
        for cadre in cadres
    ]
    responses = run_at_once(calls)
    assert [r.status_code for r in responses] == [201] * 120
    assert Review.objects.count() == 120
    assert sorted(r.json()["points_awarded"] for r in responses) == [0] * 40 + [10] * 80
    for user in reviewers[:5]:
        assert resident_summary(user=user).redeemable == 20
    assert Entry.objects.filter(reason="review_award").count() == 160
    assert ledger_verify().ok


def test_a_ticket_review_adds_only_the_cadres_notification(
    resident, other_resident, cadre, cadre_user, badge
):
    """A good review through a service ticket: the ticket's conditional UPDATE and one
    INSERT more, the cadre's `ticket_review` (in-app: nothing queued after the commit);
    a good badge review of the same cadre (with a user) gains nothing."""
    cadre.refresh_from_db()
    first, second = client(resident), client(other_resident)
    with CaptureQueriesContext(connection) as queries:
        response = post_review(first, cadre, badge(cadre))
    assert response.status_code == 201, response.json()
    badge_statements = [query["sql"] for query in queries.captured_queries]
    assert len(badge_statements) <= MAX_STATEMENTS, "\n".join(badge_statements)
    assert not Notification.objects.exists()
    url = client(cadre_user).post("/api/v1/cadre/tickets", {}, format="json").json()["code_url"]
    with CaptureQueriesContext(connection) as queries:
        response = post_review(second, cadre, url)
    assert response.status_code == 201, response.json()
    statements = [query["sql"] for query in queries.captured_queries]
    notices = [sql for sql in statements if Notification._meta.db_table in sql]
    assert len(notices) == 1 and notices[0].startswith("INSERT"), "\n".join(statements)
    assert len(statements) <= MAX_STATEMENTS_TICKET, "\n".join(statements)
    assert len(statements) == len(badge_statements) + 2, "\n".join(statements)
    assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    assert Notification.objects.get().kind == "ticket_review"


def test_reviews_from_one_shared_address_stay_within_6_statements(
    make_user, make_cadre, badge, settings
):
    """The district office's NAT (issue 25): every review from one address, each a
    resident's first review of the day of a cadre, earning points, the address over its
    threshold from the 10th cadre on: each review in at most 6 statements, and no flag
    (the address alone is a weak signal, moderation/fraud.py)."""
    settings.FRAUD_ADDRESS_CADRES_PER_HOUR = 10
    cadres = [make_cadre() for _ in range(14)]
    residents = [make_user(phone=next_phone()) for _ in cadres]
    User.objects.filter(pk__in=[user.pk for user in residents]).update(
        date_joined=timezone.now() - dt.timedelta(days=30)
    )
    for user, cadre in zip(residents, cadres, strict=True):
        api = client(user)
        with CaptureQueriesContext(connection) as queries:
            response = api.post(
                f"/api/v1/cadres/{cadre.pk}/reviews",
                {"code": badge(cadre), "rating": 5, "tags": ["attitude"]},
                format="json",
                REMOTE_ADDR="203.0.113.9",
            )
        assert response.status_code == 201, response.json()
        assert response.json()["points_awarded"] == 10
        statements = [query["sql"] for query in queries.captured_queries]
        assert len(statements) <= MAX_STATEMENTS, "\n".join(statements)
        assert not [sql for sql in statements if "SAVEPOINT" in sql.upper()]
    assert len(set(Review.objects.values_list("address_hash", flat=True))) == 1
    assert not ReviewFlag.objects.exists()
    assert ledger_verify().ok
