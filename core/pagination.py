"""Lists: `{"next", "previous", "results"}`, cursor-paginated, newest first."""

from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers
from rest_framework.pagination import CursorPagination as DrfCursorPagination
from rest_framework.response import Response


class CursorPagination(DrfCursorPagination):
    """Stable under concurrent inserts; `?page_size=` up to 100."""

    ordering = "-pk"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100


def paginate(*, view, request, queryset, serialize, pagination_class=CursorPagination) -> Response:
    """One page of `queryset` as the API's list body; `serialize(obj)` makes each item.
    Every list view pages through here; `pagination_class` changes the order or size."""
    paginator = pagination_class()
    page = paginator.paginate_queryset(queryset, request, view=view)
    return paginator.get_paginated_response([serialize(obj) for obj in page])


PAGE_PARAMETERS = [
    OpenApiParameter("cursor", str, description="From `next` or `previous`."),
    OpenApiParameter("page_size", int, description="1 to 100; 20 by default."),
]
_PAGE_SERIALIZERS: dict[str, type] = {}


def paginated(item_serializer, *, operation_id: str | None = None) -> dict:
    """`extend_schema` arguments of a list of `item_serializer` items, as `paginate` returns."""
    item_class = item_serializer if isinstance(item_serializer, type) else type(item_serializer)
    name = item_class.__qualname__.replace("View.", "").replace(".", "").removesuffix("Serializer")
    name = f"Paginated{name}List"
    if name not in _PAGE_SERIALIZERS:
        _PAGE_SERIALIZERS[name] = inline_serializer(
            name,
            {
                "next": serializers.URLField(allow_null=True),
                "previous": serializers.URLField(allow_null=True),
                "results": item_class(many=True),
            },
        )
    arguments = {"parameters": PAGE_PARAMETERS, "responses": {200: _PAGE_SERIALIZERS[name]}}
    if operation_id:
        arguments["operation_id"] = operation_id
    return arguments
