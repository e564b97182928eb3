from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from . import views
from .errors import SERVICE_DOWN, ServiceUnavailable, error_response


class HealthCheckMiddleware:
    """/healthz answers whatever the Host header says.

    The container's own health check asks http://127.0.0.1:8000/healthz, a host that
    ALLOWED_HOSTS rightly does not list; this runs before anything validates the Host.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path == "/healthz":
            return views.healthz(request)
        return self.get_response(request)


class ServiceUnavailableMiddleware:
    """Pages (outside DRF) that need Redis while it is down: 503 with Retry-After, not 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, SERVICE_DOWN):
            return None
        error = ServiceUnavailable()
        if request.path.startswith("/api/"):
            response = error_response(error.code, error.detail, error.status)
        else:
            response = HttpResponse(
                str(error.detail), status=error.status, content_type="text/plain; charset=utf-8"
            )
        for name, value in error.headers.items():
            response[name] = value
        return response


class RequestSizeLimitMiddleware:
    """413 for a body over the limit, before anything reads it.

    DRF's parsers read the stream directly, so Django's DATA_UPLOAD_MAX_MEMORY_SIZE
    does not guard JSON bodies; this does. Multipart uploads (photos) get a larger limit.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        multipart = request.META.get("CONTENT_TYPE", "").startswith("multipart/")
        limit = settings.MAX_UPLOAD_REQUEST_SIZE if multipart else settings.MAX_REQUEST_SIZE
        if length > limit:
            if request.path.startswith("/api/"):
                return error_response("request_too_large", _("The request body is too large."), 413)
            return HttpResponse(_("The request body is too large."), status=413)
        return self.get_response(request)
