from rest_framework.pagination import CursorPagination as DrfCursorPagination


class CursorPagination(DrfCursorPagination):
    """{"next", "previous", "results"}, newest first; stable under concurrent inserts."""

    ordering = "-pk"
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = 100
