from django.conf import settings
from django.http import HttpResponse
from django.utils.translation import gettext as _

from .errors import error_response


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
