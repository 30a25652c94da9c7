"""Paging for lists: the body stays a JSON array, the next page is in the `Link` header.

The frontend reads the first page exactly as before; a client that wants more follows
`Link: <...?cursor=...>; rel="next"` (the header is exposed to browsers by CORS).

Cursors are signed with the secret key: one this API did not hand out answers 400 before any of
it reaches the database, and one handed out by any worker sharing the key is honoured by all.
"""

import re
from datetime import UTC

from django.conf import settings
from django.core import signing
from django.utils.dateparse import parse_datetime
from rest_framework.pagination import Cursor, CursorPagination
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param

from activities.exceptions import InvalidCursor, InvalidPageSize

# Signed cursors are for paging only: the salt keeps them from being valid anywhere else.
CURSOR_SALT = "activities.pagination.cursor"


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

    def encode_cursor(self, cursor):
        """A URL whose cursor is the position, offset and direction, signed."""
        token = signing.dumps(
            [cursor.offset, int(cursor.reverse), cursor.position], salt=CURSOR_SALT, compress=True
        )
        return replace_query_param(self.base_url, self.cursor_query_param, token)

    def decode_cursor(self, request):
        """The cursor, if this API signed it and it holds what encode_cursor writes: an offset
        within DRF's cutoff, a direction, and a time (every ordering here is by a time)."""
        token = request.query_params.get(self.cursor_query_param)
        if token is None:
            return None
        try:
            offset, reverse, position = signing.loads(token, salt=CURSOR_SALT)
            valid = (
                type(offset) is int
                and 0 <= offset <= self.offset_cutoff
                and reverse in (0, 1)
                and (position is None or is_aware_time(position))
            )
        except (signing.BadSignature, TypeError, ValueError):
            valid = False
        if not valid:
            raise InvalidCursor()
        return Cursor(offset=offset, reverse=bool(reverse), position=position)

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


def is_aware_time(text):
    """True for the text of a time with its UTC offset, as the models' times are written, that
    the database can compare (its UTC form is a valid time)."""
    try:
        moment = parse_datetime(text) if isinstance(text, str) else None
        if moment is None or moment.tzinfo is None:
            return False
        moment.astimezone(UTC)  # raises OverflowError past the calendar's ends
    except (ValueError, OverflowError):
        return False
    return True
