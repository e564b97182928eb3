"""The stalls API's own page orders."""

from core.pagination import CursorPagination


class SitePagination(CursorPagination):
    """Sites in the order they were set up (13 in the demo district: one page)."""

    ordering = "pk"
    page_size = 50
