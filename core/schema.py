"""OpenAPI: every operation documents the error body for each status it can answer.

Operations list their own business codes with `extend_schema(responses={409: ...})`;
whatever they leave out, this AutoSchema adds with the shared `Error` component, so
the schema never contradicts a response (schemathesis checks it in CI).
"""

from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny


class ErrorSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="Machine code, e.g. `invalid`, `sold_out`.")
    detail = serializers.CharField(help_text="Message for a person, in the request's language.")
    fields = serializers.DictField(  # type: ignore[assignment]  # DRF's metaclass moves declared fields off the class: Serializer.fields is not hidden
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Validation errors only: field name to its messages.",
    )
    retry_after = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="`idempotency_key_in_progress` only: seconds until a retry with the same "
        "key may take it over (also in `Retry-After`).",
    )
    request_id = serializers.CharField(
        required=False,
        help_text="The request's id, also in the `X-Request-Id` response header: the one "
        "the client sent in `X-Request-Id` (1 to 64 of `A-Za-z0-9._-`) or one the server "
        "made. Quote it when reporting a problem.",
    )

    class Meta:
        ref_name = "Error"


def error_response(description: str) -> OpenApiResponse:
    return OpenApiResponse(response=ErrorSerializer, description=description)


# The device token (core.devices): the request header the app sends back, and the
# response header of the answer that issues one.
DEVICE_TOKEN_PARAMETERS = [
    OpenApiParameter(
        "X-Device-Id",
        str,
        OpenApiParameter.HEADER,
        required=False,
        description=(
            "The device token this server issued (the `X-Device-Id` response header of an "
            "earlier answer), sent back as it came. An id the server did not sign counts "
            "as no device. Stored only as a keyed hash, for the fraud rules."
        ),
    ),
    OpenApiParameter(
        "X-Device-Id",
        str,
        OpenApiParameter.HEADER,
        response=True,
        description=(
            "Set when the request carried no valid device token (nor the `duoduo_device` "
            "cookie): a new signed token, also set as the HttpOnly cookie "
            "`duoduo_device`. Send it back in `X-Device-Id` on later requests."
        ),
    ),
]


_COMMON_ERRORS = {
    "400": "`invalid`: validation failed (`fields` says where) or the body is malformed.",
    "401": "`not_authenticated` (no token) or `token_invalid` (bad or expired token).",
    "404": "`not_found`.",
    "405": "`method_not_allowed`.",
    "406": "`not_acceptable`.",
    "429": "`throttled`; `Retry-After` says when to try again.",
    "503": "`service_unavailable`: the database, Redis or the task broker is down; "
    "`Retry-After` says when to try again.",
    "431": "`request_too_large`: a request header over 8190 bytes (refused by gunicorn).",
}
_AUTHENTICATED_ERRORS = {"403": "`permission_denied`."}
_WRITE_ERRORS = {
    "409": "A business conflict; `code` says which.",
    "413": "`request_too_large`.",
    "415": "`unsupported_media_type`.",
}
_IDEMPOTENT_ERRORS = {
    "409": "A business conflict, or `idempotency_key_in_progress` (`retry_after` and "
    "`Retry-After` say in how many seconds the key may be taken over); `code` says which.",
    "422": "`idempotency_key_reused`: the key was used with a different request.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_serializer_name(self, serializer, direction):
        """A view's nested `InputSerializer` is named after the view: `OtpRequestInput`."""
        qualname = serializer.__class__.__qualname__
        if "." in qualname:
            owner, inner = qualname.rsplit(".", 1)
            owner = owner.split(".")[-1].removesuffix("View")
            return owner + inner.removesuffix("Serializer")
        return super().get_serializer_name(serializer, direction)

    def get_operation_id(self):
        """A GET answering a page (core.pagination.paginated) is a `_list`, not a `_retrieve`."""
        operation_id = super().get_operation_id()
        response = self.get_response_serializers()
        if isinstance(response, dict):
            response = response.get(200)
        if self.method == "GET" and type(response).__name__.startswith("Paginated"):
            operation_id = operation_id.removesuffix("_retrieve") + "_list"
        return operation_id

    def get_operation(self, *args, **kwargs):
        """An operation whose view authenticates nobody (sign-in by SMS code, token refresh,
        sign-out) is public: `security: []`, not `[{}]`, which client generators read as
        "needs a token"."""
        operation = super().get_operation(*args, **kwargs)
        if operation is not None and not self.view.get_authenticators():
            operation["security"] = []
        return operation

    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        errors = dict(_COMMON_ERRORS)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            errors.update(_AUTHENTICATED_ERRORS)
        if self.method in ("POST", "PUT", "PATCH", "DELETE"):
            errors.update(_WRITE_ERRORS)
            if getattr(getattr(self.view, self.method.lower(), None), "idempotent", False):
                errors.update(_IDEMPOTENT_ERRORS)
        for status_code, description in errors.items():
            if status_code not in responses:
                responses[status_code] = self._get_response_for_code(
                    error_response(description), status_code, direction=direction
                )
        return responses

    def get_override_parameters(self):
        params = super().get_override_parameters()
        method = getattr(self.view, self.method.lower(), None)
        if getattr(method, "idempotent", False):
            params = [
                *params,
                OpenApiParameter(
                    name="Idempotency-Key",
                    location=OpenApiParameter.HEADER,
                    required=False,
                    pattern=r"^[\x20-\x7e]{1,255}$",
                    description="Repeat a write safely: the same key and body return the "
                    "first result and move nothing again. 1 to 255 characters; kept 48 hours.",
                ),
            ]
        return params


# The longest string any query, path or header parameter is documented to take. gunicorn
# refuses request lines over 8190 bytes (config/gunicorn.py) with its own HTML page; the
# documented bounds keep every conforming request (and the fuzzer's) far below that.
MAX_PARAMETER_LENGTH = 200
INT64 = 2**63 - 1


def bound_parameters(result, generator, request, public):
    """POSTPROCESSING_HOOKS: every string parameter gets a maxLength, every integer
    parameter the range of a 64-bit id, where the view did not document tighter ones."""
    for operations in result.get("paths", {}).values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter.get("schema", {})
                if schema.get("type") == "string" and "enum" not in schema:
                    schema.setdefault("maxLength", MAX_PARAMETER_LENGTH)
                elif schema.get("type") == "integer":
                    schema.setdefault("minimum", -INT64 - 1)
                    schema.setdefault("maximum", INT64)
    return result
