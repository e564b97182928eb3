"""The ceilings' one view each (bench/ceiling_settings.py: no middleware, no app)."""

import json
import os

import redis
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.utils import timezone

# One whole payments row, as the project writes it at a counter.
PAYMENT_INSERT_SQL = """
INSERT INTO merchants_payment (merchant_id, resident_id, amount_points, refunded_points,
                               created_at)
VALUES (%s, %s, %s, 0, %s) RETURNING id
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


def healthz(request):
    return JsonResponse({"status": "ok"})


urlpatterns = [path("bench/payment-insert", payment_insert), path("healthz", healthz)]


_redis = None


def badge_bytes(request, number: int):
    """The badge page's ceiling: one Redis MGET of a stored body and its content type."""
    global _redis  # noqa: PLW0603 - one client per process, made on first use
    if _redis is None:
        _redis = redis.Redis.from_url(os.environ["REDIS_URL"])
    body, content_type = _redis.mget([f"bench:badge:body:{number}", "bench:badge:type"])
    return HttpResponse(body, content_type=content_type.decode())


urlpatterns += [path("bench/badge/<int:number>", badge_bytes)]
