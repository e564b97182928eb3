"""The ceilings' one view each (bench/ceiling_settings.py: no middleware, no app)."""

import json
import os
import zoneinfo

import redis
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone

from bench.common import STORED

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")

# One whole payments row, as the project writes it at a counter.
PAYMENT_INSERT_SQL = """
INSERT INTO merchants_payment (merchant_id, resident_id, amount_points, refunded_points,
                               created_at)
VALUES (%s, %s, %s, 0, %s) RETURNING id
"""


# One whole review row, as the project writes a resident's review at the badge.
REVIEW_INSERT_SQL = """
INSERT INTO cadres_review (cadre_id, reviewer_id, rating, tags, comment, created_at,
                           local_date, points_awarded, assisted, response_message,
                           responded_at, responder_id, verdict_accepted, verdict_at,
                           overdue_at, excluded_reason, excluded_at, verified, device_hash,
                           address_hash)
VALUES (%s, %s, %s, %s, %s, %s, %s, %s, false, '', NULL, NULL, NULL, NULL, NULL, '', NULL,
        false, '', %s) RETURNING id
"""


def payment_insert(request):
    """The payment's ceiling: one INSERT ... RETURNING id (autocommit)."""
    body = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            PAYMENT_INSERT_SQL,
            [body["merchant"], body["resident"], body["amount_points"], timezone.now()],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"id": pk}, status=201)


def review_insert(request):
    """The review's ceiling: one INSERT ... RETURNING id of a whole row (autocommit)."""
    body = json.loads(request.body)
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            REVIEW_INSERT_SQL,
            [
                body["cadre"],
                body["reviewer"],
                body["rating"],
                json.dumps(body["tags"]),
                body.get("comment", ""),
                now,
                timezone.localdate(now, timezone=SHANGHAI),
                body.get("points", 0),
                "0" * 32,  # an address's keyed hash, as long as the project's
            ],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"id": pk}, status=201)


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [
    path("bench/payment-insert", payment_insert),
    path("bench/review-insert", review_insert),
    path("healthz", healthz),
]


_redis = None


def _store() -> redis.Redis:
    global _redis  # noqa: PLW0603 - one client per process, made on first use
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    return _redis


def badge_bytes(request, number: int):
    """The badge page's ceiling: one Redis MGET of a stored body and its content type."""
    body, content_type = _store().mget([f"bench:badge:body:{number}", "bench:badge:type"])
    return HttpResponse(body, content_type=content_type.decode())


def stored_bytes(request, name: str):
    """A stored read's ceiling (the leaderboard, the rankings API): one Redis MGET of the
    body the project sent for `name` and its content type (bench/common.py, store_bytes)."""
    body, content_type = _store().mget([f"{STORED}{name}:body", f"{STORED}{name}:type"])
    return HttpResponse(body, content_type=content_type.decode())


urlpatterns += [
    path("bench/badge/<int:number>", badge_bytes),
    path("bench/stored/<slug:name>", stored_bytes),
]
