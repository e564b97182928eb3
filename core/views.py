import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import codes
from .errors import DomainError, error_response

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def healthz(request):
    """200 when the database (and Redis, where configured) answer; 503 otherwise."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception:
        logger.exception("health check: database")
        checks["database"] = "error"
    if settings.REDIS_URL:
        try:
            cache.set("healthz", "ok", 5)
            checks["redis"] = "ok" if cache.get("healthz") == "ok" else "error"
        except Exception:
            logger.exception("health check: redis")
            checks["redis"] = "error"
    healthy = all(value == "ok" for value in checks.values())
    return JsonResponse(
        {"status": "ok" if healthy else "error", **checks}, status=200 if healthy else 503
    )


def scan_page(request, token):
    """/q/<token>: what a phone camera opens. Each kind renders its own page."""
    try:
        resolved = codes.resolve(token)
    except DomainError as error:
        return render(request, "core/code_error.html", {"error": error}, status=error.status)
    if resolved.kind.render_page is None:
        return render(
            request,
            "core/code_error.html",
            {"error": codes.CodeInvalid(_("Open this code in the Duoduo app."))},
            status=404,
        )
    return resolved.kind.render_page(request, resolved.obj)


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


def error_500(request):
    if _is_api(request):
        return error_response("server_error", _("A server error occurred."), 500)
    return HttpResponse(
        _("A server error occurred."), status=500, content_type="text/plain; charset=utf-8"
    )
