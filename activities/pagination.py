"""Paging for lists: the body stays a JSON array, the next page is in the `Link` header.

The frontend reads the first page exactly as before; a client that wants more follows
`Link: <...?cursor=...>; rel="next"` (the header is exposed to browsers by CORS).
"""

import re

from django.conf import settings
from django.utils.dateparse import parse_datetime
from rest_framework.exceptions import NotFound
from rest_framework.pagination import CursorPagination
from rest_framework.response import Response

from activities.exceptions import InvalidCursor, InvalidPageSize


class LinkHeaderCursorPagination(CursorPagination):
    """Cursor paging (stable while new activities arrive) ordered by the view's `ordering`."""

    ordering = "-created_at"
    page_size_query_param = "page_size"

    @property
    def max_page_size(self):
        return settings.CRUDDUR["MAX_PAGE_SIZE"]

    def get_page_size(self, request):
        """`page_size` as asked, at most max_page_size; 400 invalid_page_size for anything but a
        positive integer (DRF would quietly answer the default size)."""
        value = request.query_params.get(self.page_size_query_param)
        if value is None:
            return self.page_size
        digits = value.lstrip("0")
        if not re.fullmatch(r"[0-9]+", value) or not digits:
            raise InvalidPageSize()
        # A number too long to be worth converting asks for more than the maximum anyway.
        return self.max_page_size if len(digits) > 9 else min(int(digits), self.max_page_size)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = (
                    "Where the page starts: copy it from the URL in the Link header; other "
                    "values answer 400 invalid_cursor."
                )
            elif parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"How many to answer: {self.page_size} unless asked, at most "
                    f"{self.max_page_size} (a larger number answers {self.max_page_size})."
                )
        return parameters

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
