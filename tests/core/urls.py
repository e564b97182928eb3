"""Test-only endpoints that exercise the shared API machinery without an app."""

import contextlib

from django.core.cache import cache
from django.db import InterfaceError, OperationalError, connection
from django.http import HttpResponse
from django.urls import include, path
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import OtpCode
from core.errors import DomainError
from core.idempotency import idempotent


class Boom(APIView):
    def get(self, request):
        raise RuntimeError("an unexpected failure")


class SoldOut(DomainError):
    code = "sold_out"
    default_detail = "Sold out."


class CountingWrite(APIView):
    """Writes one row per call (standing in for a points move) and says how many exist."""

    @idempotent
    def post(self, request):
        if request.data.get("refuse"):
            raise SoldOut()
        OtpCode.objects.create(
            phone=str(request.user.pk), code_hash="x", expires_at="2030-01-01T00:00Z"
        )
        return Response(
            {"rows": OtpCode.objects.count(), "note": request.data.get("note")}, status=201
        )


class NeedsRedis(APIView):
    """Takes an atomic lock in the cache (SET NX): something that truly needs Redis."""

    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"locked": cache.add("test:lock", 1, timeout=5)})


def needs_redis_page(request):
    return HttpResponse(str(cache.add("test:lock", 1, timeout=5)))


def database_lost_before_the_session_is_saved(request):
    """Puts a value in the session, then the database server ends this connection: the
    session is saved after the view, by SessionMiddleware, and that save fails."""
    request.session["seen"] = True
    with contextlib.suppress(OperationalError, InterfaceError), connection.cursor() as cursor:
        cursor.execute("SELECT pg_terminate_backend(pg_backend_pid())")
    return HttpResponse("not saved")


urlpatterns = [
    path("test/database-lost", database_lost_before_the_session_is_saved),
    path("api/v1/test/needs-redis", NeedsRedis.as_view()),
    path("test/needs-redis", needs_redis_page),
    path("api/v1/test/boom", Boom.as_view()),
    path("api/v1/test/write", CountingWrite.as_view()),
    path("", include("config.urls")),
]

# The project's error handlers, as in config.urls (Django looks for them in the root URLconf).
handler400 = "core.views.error_400"
handler403 = "core.views.error_403"
handler404 = "core.views.error_404"
handler500 = "core.views.error_500"
