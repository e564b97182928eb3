"""/healthz (liveness) and /readyz (readiness): docs/operations.md, "Health"."""

import logging

from celery import current_app as current_celery_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

logger = logging.getLogger(__name__)

_HEALTH_SQL = "SELECT 1"
# How long /readyz waits for a Celery worker to answer its ping.
CELERY_PING_SECONDS = 0.5
READY_RETRY_AFTER_SECONDS = 10


@never_cache
@require_GET
def healthz(request):
    """Liveness: the process answers. No dependency is asked (a Redis or database outage
    must not get a container restarted that would answer again once it is back)."""
    return JsonResponse({"status": "ok"})


def _redis_ready() -> str:
    """ "ok", or "degraded": the app serves on without Redis (cache misses, limits counted
    in the database, tasks not queued), so this never makes /readyz fail."""
    try:
        cache.set("readyz", "ok", 5)
        return "ok" if cache.get("readyz") == "ok" else "degraded"
    except Exception:
        logger.warning("readiness: Redis unreachable", exc_info=True)
        return "degraded"


def _celery_ready(redis: str) -> str:
    """ "ok" when a worker answers a ping within CELERY_PING_SECONDS, "degraded" when none
    does; "unknown" when Redis (the broker) is down; "eager" without REDIS_URL (tasks
    run in the web process)."""
    if not settings.REDIS_URL:
        return "eager"
    if redis != "ok":
        return "unknown"
    try:
        replies = current_celery_app.control.ping(timeout=CELERY_PING_SECONDS)
    except Exception:
        logger.warning("readiness: Celery ping failed", exc_info=True)
        return "unknown"
    return "ok" if replies else "degraded"


@never_cache
@require_GET
def readyz(request):
    """Readiness: 200 when PostgreSQL answers, with Redis's and Celery's state; 503 with
    Retry-After when it does not (docs/operations.md)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute(_HEALTH_SQL)
        database = "ok"
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        database = "error"
    redis = _redis_ready() if settings.REDIS_URL else "not_configured"
    body = {"database": database, "redis": redis, "celery": _celery_ready(redis)}
    if database != "ok":
        response = JsonResponse(body, status=503)
        response["Retry-After"] = str(READY_RETRY_AFTER_SECONDS)
        return response
    return JsonResponse(body)


class HealthCheckMiddleware:
    """/healthz and /readyz answer whatever the Host header says.

    The container's own health check asks http://127.0.0.1:8000/readyz, a host that
    ALLOWED_HOSTS rightly does not list; this runs before anything validates the Host,
    and after the middlewares that add the security headers, which its answer carries
    like any other.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return healthz(request)
        if request.path == "/readyz":
            return readyz(request)
        return self.get_response(request)
