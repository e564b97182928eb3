"""Lists: `{"next", "previous", "results"}`, cursor-paginated, newest first."""

from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination as DrfCursorPagination
from rest_framework.response import Response

from core.errors import Invalid
from core.integers import parse_int
from core.serializers import StrictIntegerField

# A cursor is only ever made by us, so it is short; a longer one is not worth decoding.
CURSOR_MAX_LENGTH = 200
INVALID_CURSOR = _("This cursor is not valid: use `next` or `previous` of a page.")


class CursorPagination(DrfCursorPagination):
    """Stable under concurrent inserts; `?page_size=` up to 100."""

    ordering: str | list[str] | tuple[str, ...] = "-pk"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100

    def get_page_size(self, request):
        # DRF reads `?page_size=` with int(): "１０" was 10, "1.0" silently the default.
        # Only ASCII digits are a size; an integer keeps DRF's meaning (capped at
        # max_page_size, below 1 the default).
        text = request.query_params.get(self.page_size_query_param)
        if text is not None and parse_int(text) is None:
            raise Invalid(
                fields={
                    self.page_size_query_param: [
                        str(StrictIntegerField.default_error_messages["invalid"])
                    ]
                }
            )
        return super().get_page_size(request)

    def decode_cursor(self, request):
        encoded = request.query_params.get(self.cursor_query_param)
        if encoded is not None and len(encoded) > CURSOR_MAX_LENGTH:
            raise _invalid_cursor()
        try:
            return super().decode_cursor(request)
        except NotFound:
            raise _invalid_cursor() from None

    def paginate_queryset(self, queryset, request, view=None):
        # DRF filters by the cursor's position as it comes: a position the ordering
        # field cannot hold ("abc" for an id, a year 99999) would fail in the query.
        cursor = self.decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            ordering = self.ordering if isinstance(self.ordering, list | tuple) else [self.ordering]
            name = ordering[0].lstrip("-")
            meta = queryset.model._meta
            field = meta.pk if name == "pk" else meta.get_field(name)
            try:
                field.clean(cursor.position, None)
            except (ValidationError, ValueError, TypeError, OverflowError):
                raise _invalid_cursor() from None
        return super().paginate_queryset(queryset, request, view=view)


def _invalid_cursor() -> Invalid:
    return Invalid(fields={"cursor": [str(INVALID_CURSOR)]})


def paginate(*, view, request, queryset, serialize, pagination_class=CursorPagination) -> Response:
    """One page of `queryset` as the API's list body; `serialize(obj)` makes each item.
    Every list view pages through here; `pagination_class` changes the order or size."""
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response([serialize(obj) for obj in page])


PAGE_PARAMETERS = [
    OpenApiParameter(
        "cursor",
        {"type": "string", "maxLength": CURSOR_MAX_LENGTH},
        description="From `next` or `previous`; anything else is 400 `invalid`.",
    ),
    OpenApiParameter("page_size", int, description="1 to 100; 20 by default."),
]
_PAGE_SERIALIZERS: dict[str, tuple[type, serializers.Serializer]] = {}


def paginated(item_serializer, *, operation_id: str | None = None) -> dict:
    """`extend_schema` arguments of a list of `item_serializer` items, as `paginate` returns."""
    item_class = item_serializer if isinstance(item_serializer, type) else type(item_serializer)
    name = item_class.__qualname__.replace("View.", "").replace(".", "").removesuffix("Serializer")
    name = f"Paginated{name}List"
    if name not in _PAGE_SERIALIZERS:
        _PAGE_SERIALIZERS[name] = (
            item_class,
            inline_serializer(
                name,
                {
                    "next": serializers.URLField(allow_null=True),
                    "previous": serializers.URLField(allow_null=True),
                    "results": item_class(many=True),
                },
            ),
        )
    elif _PAGE_SERIALIZERS[name][0] is not item_class:
        # Two item serializers of one name would share one page in the schema.
        raise ImproperlyConfigured(
            f"{item_class.__module__}.{item_class.__qualname__}: another list is named "
            f"{name}; rename one of the item serializers"
        )
    arguments = {"parameters": PAGE_PARAMETERS, "responses": {200: _PAGE_SERIALIZERS[name][1]}}
    if operation_id:
        arguments["operation_id"] = operation_id
    return arguments
