import logging
import sys
from pathlib import Path

from celery import current_app as current_celery_app
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

from . import codes, display
from .errors import DomainError, ServiceUnavailable, error_response, service_down

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


def scan_page(request, token):
    """/q/<token>: what a phone camera opens. Each kind renders its own page (a kind with
    a `cached_page` may serve it from a store before resolving the code)."""
    try:
        kind, payload = codes.parse(token)
    except DomainError as error:
        return render(request, "core/code_error.html", {"error": error}, status=error.status)

    def build():
        try:
            obj = kind.resolve(payload)
        except DomainError as error:
            return render(request, "core/code_error.html", {"error": error}, status=error.status)
        if kind.render_page is None:
            return render(
                request,
                "core/code_error.html",
                {"error": codes.CodeInvalid(_("Open this code in the Duoduo app."))},
                status=404,
            )
        return kind.render_page(request, obj)

    if kind.cached_page is not None:
        return kind.cached_page(request, payload, build)
    return build()


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def error_400(request, exception=None):
    if _is_api(request):
        return error_response("invalid", _("The request was malformed."), 400)
    return HttpResponse(_("Bad request."), status=400, content_type="text/plain; charset=utf-8")


def error_403(request, exception=None):
    if _is_api(request):
        return error_response(
            "permission_denied", _("You do not have permission to perform this action."), 403
        )
    return render(
        request,
        "core/error.html",
        {"message": _("You do not have permission to see this page.")},
        status=403,
    )


def error_404(request, exception=None):
    if _is_api(request):
        return error_response("not_found", _("Not found."), 404)
    return render(
        request, "core/error.html", {"message": _("This page does not exist.")}, status=404
    )


# The page of a 503: no template, no session, no database (it answers while they are down).
UNAVAILABLE_PAGE = (
    '<!doctype html><html lang="{}"><head><meta charset="utf-8">'
    '<meta name="viewport" content="width=device-width, initial-scale=1">'
    "<title>{}</title></head><body><h1>{}</h1><p>{}</p></body></html>"
)


def service_unavailable(request):
    """503 `service_unavailable` with Retry-After: the API's error body on API paths, a
    small plain page in the request's language (Chinese unless it asked for English)
    elsewhere; never cached."""
    error = ServiceUnavailable()
    if _is_api(request):
        response = error_response(error.code, error.detail, error.status)
    else:
        title = _("Service unavailable")
        response = HttpResponse(
            format_html(
                UNAVAILABLE_PAGE,
                get_language() or settings.LANGUAGE_CODE,
                title,
                title,
                error.detail,
            ),
            status=error.status,
            content_type="text/html; charset=utf-8",
        )
    for name, value in error.headers.items():
        response[name] = value
    add_never_cache_headers(response)
    return response


def error_500(request):
    """Django's handler500, called while the unhandled exception is being handled: a
    backing service that is down (the database restarting, refusing connections or gone
    away in a middleware, a session save or the view) is 503, not 500."""
    if service_down(sys.exc_info()[1]):
        return service_unavailable(request)
    if _is_api(request):
        return error_response("server_error", _("A server error occurred."), 500)
    return HttpResponse(
        _("A server error occurred."), status=500, content_type="text/plain; charset=utf-8"
    )


# The site's icon, read once: browsers ask for /favicon.ico whatever the page links.
FAVICON = (Path(__file__).resolve().parent / "static" / "core" / "favicon.ico").read_bytes()


@require_GET
@cache_control(public=True, max_age=86400)
def favicon(request):
    return HttpResponse(FAVICON, content_type="image/x-icon")


@require_GET
def display_mode(request):
    """The 长辈模式 switch (core/display.py): `?elder=1` on, anything else off; back to
    `next` (a path of this site; the home page otherwise). A link, so it works without
    script; the choice is a display preference, so a GET may set it."""
    target = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ) or not target.startswith("/"):
        target = "/"
    response = redirect(target)
    if request.GET.get("elder") == "1":
        response.set_cookie(
            display.COOKIE,
            "1",
            max_age=display.COOKIE_SECONDS,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    else:
        response.delete_cookie(display.COOKIE, samesite="Lax")
    add_never_cache_headers(response)
    return response
