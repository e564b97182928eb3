"""The floor of issue 25's two writes: the project's own work for a payment at a
merchant's counter and for a review at the badge, with none of the web framework around
it. bench/payments.py and bench/review.py serve it with gunicorn and config/gunicorn.py
beside the project and the ceiling. Project / floor is what the framework costs (Django's
handler, the middlewares, DRF); floor / ceiling is what the work itself allows.

Each request does only the project's work:
- the access token, checked by the project's authentication (signature and expiry cached
  as the project caches them, the signed-out session's Redis EXISTS);
- the throttle's two counters in one Redis call (core.ratelimit);
- the body's JSON;
- the service with its SQL: merchants.services.payment_at_counter inside its claimed
  Idempotency-Key, and cadres.services.review_create after the badge's code is resolved;
- the 201's JSON, as the project writes it.

There is no Django handler, no middleware and no DRF, so no validation beyond the
services', no consent gate, no device token issued with a review, and no error answers: a
refusal is a 500 here.
"""

import json
import re
from types import SimpleNamespace

import django
from django.apps import apps

if not apps.ready:  # under gunicorn; the tests have set Django up already
    django.setup()

from django.db import close_old_connections, transaction  # noqa: E402
from rest_framework.response import Response  # noqa: E402

from accounts.authentication import StatelessJWTAuthentication  # noqa: E402
from cadres import services as cadre_services  # noqa: E402
from cadres.api.views import CadreReviewCreateView  # noqa: E402
from cadres.codes import review_target  # noqa: E402
from core import codes, ratelimit  # noqa: E402
from core.idempotency import Claim, request_fingerprint  # noqa: E402
from merchants import services as merchant_services  # noqa: E402
from merchants.api.views import PaymentCreateView  # noqa: E402

PAYMENTS = "/api/v1/points/payments"
REVIEW = re.compile(r"^/api/v1/cadres/(\d+)/reviews$")
# The throttle's counters under DRF's cache keys, as the project's UserAndScopeThrottle
# counts them in one core.ratelimit call (the benchmarks raise the rates so that none
# refuses). Not UserAndScopeThrottle itself: it wants DRF's request and view.
NEVER_FULL = 100_000_000
AUTHENTICATION = StatelessJWTAuthentication()


def application(environ, start_response):
    path = environ["PATH_INFO"]
    if path == "/healthz":
        return answer(start_response, "200 OK", {"status": "ok"})
    close_old_connections()
    try:
        body = environ["wsgi.input"].read(int(environ["CONTENT_LENGTH"]))
        raw_token = environ["HTTP_AUTHORIZATION"].split()[1].encode()
        user = AUTHENTICATION.get_user(AUTHENTICATION.get_validated_token(raw_token))
        data = json.loads(body)
        if path == PAYMENTS:
            throttle("payment", user)
            made = pay(environ, body, user, data)
        else:
            throttle("review", user)
            made = review(int(REVIEW.match(path)[1]), user, data, environ["REMOTE_ADDR"])
        return answer(start_response, "201 Created", made)
    finally:
        close_old_connections()


def throttle(scope: str, user) -> None:
    ratelimit.hit(
        ratelimit.Limit(f"throttle_{scope}_{user.pk}", NEVER_FULL, 60),
        ratelimit.Limit(f"throttle_user_{user.pk}", NEVER_FULL, 60),
    )


def pay(environ, body: bytes, user, data: dict) -> dict:
    _kind, payload = codes.parse(data["code"])
    # The project's fingerprint, of what it reads of a request: method, path and body.
    fingerprint = request_fingerprint(SimpleNamespace(method="POST", path=PAYMENTS, body=body))
    claim = Claim(int(user.pk), environ["HTTP_IDEMPOTENCY_KEY"], fingerprint)
    with transaction.atomic(durable=True):
        _record, made, _stored = merchant_services.payment_at_counter(
            claim=claim,
            resident=user,
            payload=payload,
            amount_points=int(data["amount_points"]),
            answer=lambda made: Response(PaymentCreateView.answer_body(made), status=201),
        )
    return made.data


def review(pk: int, user, data: dict, address: str) -> dict:
    cadre, ticket = review_target(codes.resolve_as(data["code"], "cadre"))
    if cadre.pk != pk:
        raise codes.CodeInvalid()
    made = cadre_services.review_create(
        cadre=cadre,
        reviewer=user,
        rating=int(data["rating"]),
        tags=list(data.get("tags", ())),
        comment=data.get("comment", ""),
        address=address,
        ticket=ticket,
    )
    return CadreReviewCreateView.OutputSerializer(made).data


def answer(start_response, status: str, body: dict) -> list[bytes]:
    out = json.dumps(body, ensure_ascii=False).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(out)))]
    )
    return [out]
