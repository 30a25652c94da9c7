"""Paging for lists: the body stays a JSON array, the next page is in the `Link` header.

The frontend reads the first page exactly as before; a client that wants more follows
`Link: <...?cursor=...>; rel="next"` (the header is exposed to browsers by CORS).
"""

from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from activities.exceptions import InvalidCursor


class LinkHeaderCursorPagination(CursorPagination):
    """Cursor paging (stable while new activities arrive) ordered by the view's `ordering`."""

    ordering = "-created_at"
    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return settings.CRUDDUR["MAX_PAGE_SIZE"]

    def get_ordering(self, request, queryset, view):
        ordering = getattr(view, "ordering", None) or self.ordering
        return (ordering,) if isinstance(ordering, str) else tuple(ordering)

    def decode_cursor(self, request):
        """The cursor, checked: every ordering here is by a time, so its position must be one."""
        try:
            cursor = super().decode_cursor(request)
            position = cursor.position if cursor else None
            if position is not None and parse_datetime(position) is None:
                raise ValueError(position)
        except (NotFound, ValueError):
            raise InvalidCursor() from None
        return cursor

    def get_paginated_response(self, data):
        links = [
            f'<{url}>; rel="{rel}"'
            for url, rel in ((self.get_next_link(), "next"), (self.get_previous_link(), "prev"))
            if url
        ]
        headers = {"Link": ", ".join(links)} if links else None
        return Response(data, headers=headers)

    def get_paginated_response_schema(self, schema):
        return schema
