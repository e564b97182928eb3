"""The ceilings' one view each (bench/ceiling_settings.py: no middleware, no app)."""

import json

from django.db import connection
from django.http import JsonResponse
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
