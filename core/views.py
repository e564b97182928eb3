import logging
import sys

from django.conf import settings
from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import add_never_cache_headers
from django.utils.html import format_html
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from . import codes
from .errors import DomainError, ServiceUnavailable, error_response, service_down

logger = logging.getLogger(__name__)


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
