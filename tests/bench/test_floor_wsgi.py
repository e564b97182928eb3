"""bench/floor_wsgi.py, the floor of the payment and the review benchmarks, does the
project's work: the same answer, the same rows and the same SQL statements as the
project's view, driven as gunicorn drives both (no timing here)."""

import io
import json
import sys
import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from bench import floor_wsgi
from bench import payments as payments_bench
from bench import review as review_bench
from bench.common import access_token
from cadres import qr
from cadres.models import Review
from core.models import IdempotencyRecord
from merchants.models import Payment
from points.models import Account, Currency, Entry
from points.verification import ledger_verify


def project(environ, start_response):
    """config.wsgi.application (imported here: its handler is made at import, once the
    test session made STATIC_ROOT)."""
    from config.wsgi import application

    return application(environ, start_response)


def post(app, path: str, user, body: dict, key: str | None = None) -> tuple[str, dict, int]:
    """One POST through a WSGI application: its status, JSON body and SQL statements."""
    raw = json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8711",
        "HTTP_HOST": "127.0.0.1",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(raw)),
        "HTTP_AUTHORIZATION": f"Bearer {access_token(user)}",
        "wsgi.input": io.BytesIO(raw),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": True,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }
    if key is not None:
        environ["HTTP_IDEMPOTENCY_KEY"] = key
    started = []
    with CaptureQueriesContext(connection) as queries:
        answer = app(environ, lambda status, headers, exc_info=None: started.append(status))
        payload = b"".join(answer)
        getattr(answer, "close", lambda: None)()
    return started[0], json.loads(payload), len(queries.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_the_floor_pays_as_the_project_does():
    users, shops = payments_bench.make_people(residents=2, merchants=1)
    merchant, code = shops[0]
    body = {"code": code, "amount_points": 7}

    paid = [
        post(app, "/api/v1/points/payments", user, body, key=uuid.uuid4().hex)
        for app, user in ((project, users[0]), (floor_wsgi.application, users[1]))
    ]

    (project_status, project_body, project_sql), (floor_status, floor_body, floor_sql) = paid
    assert project_status == floor_status == "201 Created"
    assert project_body.keys() == floor_body.keys()
    assert floor_body["amount_points"] == 7
    assert floor_body["balance"] == project_body["balance"] == payments_bench.POINTS - 7
    assert (
        floor_body["merchant"]
        == project_body["merchant"]
        == {
            "id": merchant.pk,
            "name": merchant.name,
        }
    )
    assert project_sql == floor_sql == 4  # BEGIN, the claim and payment, the posting, COMMIT
    for user, answer in zip(users, (project_body, floor_body), strict=True):
        payment = Payment.objects.get(resident=user)
        assert payment.pk == answer["id"]
        # The posting's two entries each, and each key's answer stored with the payment.
        assert Entry.objects.filter(transaction__reference=f"payment:{payment.pk}").count() == 2
        record = IdempotencyRecord.objects.get(user=user)
        assert record.state == IdempotencyRecord.State.DONE
        assert record.response_body == answer
    assert ledger_verify().ok


@pytest.mark.django_db(transaction=True)
def test_the_floor_reviews_as_the_project_does():
    users, cadres = review_bench.make_people(residents=2, cadres=1)
    cadre = cadres[0]
    body = {"code": qr.badge_url(cadre), **review_bench.REVIEW}
    path = f"/api/v1/cadres/{cadre.pk}/reviews"

    reviewed = [
        post(app, path, user, body)
        for app, user in ((project, users[0]), (floor_wsgi.application, users[1]))
    ]

    (project_status, project_body, project_sql), (floor_status, floor_body, floor_sql) = reviewed
    assert project_status == floor_status == "201 Created"
    assert project_body.keys() == floor_body.keys()
    assert project_body["points_awarded"] == floor_body["points_awarded"] > 0
    # The cadre's SELECT, BEGIN, the review, its award, the posting, COMMIT.
    assert project_sql == floor_sql == 6
    for user, answer in zip(users, (project_body, floor_body), strict=True):
        review = Review.objects.get(reviewer=user)
        assert review.pk == answer["id"] and review.points_awarded == answer["points_awarded"]
        # The award posted to the reviewer's account, on top of its earlier points.
        account = Account.objects.get(
            kind=Account.Kind.RESIDENT, currency=Currency.REDEEMABLE, owner_id=user.pk
        )
        assert account.balance == review_bench.EARLIER_POINTS + answer["points_awarded"]
    assert ledger_verify().ok
