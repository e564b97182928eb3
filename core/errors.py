"""The one error body of the API, {"code", "detail", "fields"}, for every error.

Services raise `DomainError` subclasses that carry their code and status; views never
build error responses themselves. `api_exception_handler` turns DRF's, Django's and
domain errors into the body of API.md, and `error_response` serves Django's own
handlers (404 and 500 outside DRF) for API paths.
"""

import logging

import psycopg
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.db import DataError
from django.db import InterfaceError as DatabaseInterfaceError
from django.db import OperationalError as DatabaseOperationalError
from django.http import Http404, JsonResponse
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerUnreachable
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import set_rollback
from rest_framework_simplejwt.exceptions import AuthenticationFailed as JwtAuthenticationFailed
from rest_framework_simplejwt.exceptions import InvalidToken

from .cache import UNREACHABLE as REDIS_UNREACHABLE
from .logs import current_request_id

logger = logging.getLogger(__name__)


class DomainError(Exception):
    """A business rule said no. Subclasses set `code`, `status` and `default_detail`."""

    # Plain int: each subclass sets its own (mypy would otherwise infer Literal[409]).
    status: int = status.HTTP_409_CONFLICT
    code = "conflict"
    default_detail = _("The request conflicts with the current state.")

    def __init__(self, detail=None, *, fields=None, headers=None, retry_after=None):
        self.detail = detail if detail is not None else self.default_detail
        self.fields = fields
        self.headers = headers or {}
        # Seconds until the same request may succeed: the body's `retry_after` and the
        # `Retry-After` header (an error that passes it says when to try again).
        self.retry_after = None if retry_after is None else max(1, int(retry_after))
        if self.retry_after is not None:
            self.headers.setdefault("Retry-After", str(self.retry_after))
        super().__init__(str(self.detail))


class Invalid(DomainError):
    status = status.HTTP_400_BAD_REQUEST
    code = "invalid"
    default_detail = _("Invalid input.")


class NotFound(DomainError):
    status = status.HTTP_404_NOT_FOUND
    code = "not_found"
    default_detail = _("Not found.")


class Forbidden(DomainError):
    status = status.HTTP_403_FORBIDDEN
    code = "permission_denied"
    default_detail = _("You do not have permission to perform this action.")


class Throttled(DomainError):
    status = status.HTTP_429_TOO_MANY_REQUESTS
    code = "throttled"
    default_detail = _("Too many requests. Try again later.")

    def __init__(self, wait_seconds: int, detail=None):
        self.wait_seconds = max(1, int(wait_seconds))
        super().__init__(detail, headers={"Retry-After": str(self.wait_seconds)})


class ServiceUnavailable(DomainError):
    """Something the request truly needs (the database, Redis, the task broker) cannot be
    reached."""

    status = status.HTTP_503_SERVICE_UNAVAILABLE
    code = "service_unavailable"
    default_detail = _("The service is briefly unavailable. Try again shortly.")
    retry_after_seconds = 30

    def __init__(self, detail=None):
        super().__init__(detail, headers={"Retry-After": str(self.retry_after_seconds)})


# What "the database cannot be reached" raises: refused or reset while connecting, the
# server gone away or shutting down mid-request, a connection already closed, the pool
# exhausted. Django wraps psycopg's errors in its own; psycopg's are listed for those
# raised outside Django's wrapper. (A lock or statement timeout and a deadlock are
# OperationalErrors too: transient as well, so a retry is the right answer to them.)
DATABASE_UNREACHABLE = (
    DatabaseOperationalError,
    DatabaseInterfaceError,
    psycopg.OperationalError,
    psycopg.InterfaceError,
)

# Errors of a backing service that is down: 503 with Retry-After, never a 500.
SERVICE_DOWN = (*REDIS_UNREACHABLE, BrokerUnreachable, *DATABASE_UNREACHABLE)


def service_down(error: BaseException | None) -> bool:
    """`error` is a SERVICE_DOWN error, or was raised from one or while handling one (a
    rollback failing on the dead connection after the query that found it dead)."""
    for _depth in range(10):
        if error is None:
            return False
        if isinstance(error, SERVICE_DOWN):
            return True
        error = error.__cause__ or error.__context__
    return False


# DRF's exception classes to the contract's codes (the most specific class first).
_DRF_CODES = [
    (InvalidToken, "token_invalid"),
    (JwtAuthenticationFailed, "token_invalid"),
    (exceptions.NotAuthenticated, "not_authenticated"),
    (exceptions.AuthenticationFailed, "token_invalid"),
    (exceptions.PermissionDenied, "permission_denied"),
    (exceptions.NotFound, "not_found"),
    (exceptions.MethodNotAllowed, "method_not_allowed"),
    (exceptions.NotAcceptable, "not_acceptable"),
    (exceptions.UnsupportedMediaType, "unsupported_media_type"),
    (exceptions.Throttled, "throttled"),
    (exceptions.ParseError, "invalid"),
    (exceptions.ValidationError, "invalid"),
]


def drf_code(exc: exceptions.APIException) -> str:
    """The contract's code of one of DRF's exceptions."""
    return next((c for cls, c in _DRF_CODES if isinstance(exc, cls)), "error")


def error_body(code: str, detail, fields=None, retry_after=None) -> dict:
    """The error body; `request_id` is the request's (core/observe.py), for a report to
    name the log lines of the request it is about."""
    body = {"code": code, "detail": str(detail)}
    if fields:
        body["fields"] = fields
    if retry_after is not None:
        body["retry_after"] = retry_after
    request_id = current_request_id()
    if request_id:
        body["request_id"] = request_id
    return body


def _flatten_fields(detail, prefix="") -> dict[str, list[str]]:
    """DRF's nested validation errors as {"field" or "parent.child": [messages]}."""
    if isinstance(detail, dict):
        flat = {}
        for key, value in detail.items():
            flat.update(_flatten_fields(value, f"{prefix}.{key}" if prefix else str(key)))
        return flat
    if isinstance(detail, list):
        if all(not isinstance(item, dict | list) for item in detail):
            return {prefix or "non_field_errors": [str(item) for item in detail]}
        flat = {}
        for index, item in enumerate(detail):
            flat.update(_flatten_fields(item, f"{prefix}.{index}" if prefix else str(index)))
        return flat
    return {prefix or "non_field_errors": [str(detail)]}


def _view_name(context) -> str:
    return context.get("view").__class__.__name__


def _known(exc) -> bool:
    """An exception with an answer of its own below, whatever it was raised from."""
    return isinstance(
        exc,
        DomainError
        | exceptions.APIException
        | Http404
        | DjangoPermissionDenied
        | RequestDataTooBig
        | DataError
        | SuspiciousOperation,
    )


def api_exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: every exception becomes the contract's error body."""
    set_rollback()
    if isinstance(exc, SERVICE_DOWN) or (not _known(exc) and service_down(exc)):
        # Anywhere in DRF's handling: authentication, permissions, throttles, the view.
        logger.warning("%s: a backing service is unreachable: %r", _view_name(context), exc)
        exc = ServiceUnavailable()
    if isinstance(exc, DomainError):
        return Response(
            error_body(exc.code, exc.detail, exc.fields, exc.retry_after),
            status=exc.status,
            headers=exc.headers,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    elif isinstance(exc, RequestDataTooBig):
        return Response(
            error_body("request_too_large", _("The request body is too large.")),
            status=status.HTTP_413_REQUEST_ENTITY_TOO_LARGE,
        )
    elif isinstance(exc, DataError):
        # The database refused a value that validation let through (a NUL byte in a
        # lookup, an out-of-range number): bad input, not a server error.
        logger.warning("Database refused a request value in %s: %s", _view_name(context), exc)
        return Response(
            error_body("invalid", _("A value in the request cannot be stored.")),
            status=status.HTTP_400_BAD_REQUEST,
        )
    elif isinstance(exc, SuspiciousOperation):
        return Response(
            error_body("invalid", _("The request was malformed.")),
            status=status.HTTP_400_BAD_REQUEST,
        )

    if isinstance(exc, exceptions.APIException):
        code = drf_code(exc)
        headers = {}
        if isinstance(exc, exceptions.Throttled) and exc.wait is not None:
            headers["Retry-After"] = str(max(1, int(exc.wait + 0.999)))
        if getattr(exc, "auth_header", None):
            headers["WWW-Authenticate"] = exc.auth_header
        if isinstance(exc, exceptions.ValidationError):
            return Response(
                error_body(code, _("Invalid input."), _flatten_fields(exc.detail)),
                status=exc.status_code,
            )
        if isinstance(exc, exceptions.ParseError):
            detail = _("The request body is not valid JSON or form data.")
        elif isinstance(exc, exceptions.Throttled):
            detail = Throttled.default_detail
        elif code == "token_invalid":
            detail = _("The token is invalid or expired.")
        else:
            detail = exc.detail
        return Response(error_body(code, detail), status=exc.status_code, headers=headers)

    logger.exception("Unhandled error in %s", _view_name(context))
    return Response(
        error_body("server_error", _("A server error occurred.")),
        status=status.HTTP_500_INTERNAL_SERVER_ERROR,
    )


def error_response(code: str, detail, status_code: int) -> JsonResponse:
    """The error body outside DRF (Django's handler404/handler500 on API paths)."""
    return JsonResponse(
        error_body(code, detail),
        status=status_code,
        json_dumps_params={"ensure_ascii": False},
    )


def or_404(found):
    """`found`, or the contract's 404 `not_found` when it is None: the one way an API view
    or service says "no such row" (`or_404(queryset.filter(pk=pk).first())`)."""
    if found is None:
        raise NotFound()
    return found
