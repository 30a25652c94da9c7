"""The read path: lists selected with SQL written once, their rows shaped as the contract's JSON.

The ORM compiles a queryset's SQL anew on every request; for the feeds that compilation was most
of a request's cost (a page and its replies took about 2.5 ms of a 3.2 ms request). These
selections are written once in plain SQL that both databases run, executed with their parameters,
and their rows are turned into the answer's dicts without a DRF field in between. Writes, and
whatever is not on a list's path, stay on the ORM.

`Selection` is lazy and offers what DRF's CursorPagination asks of a queryset: `order_by` on the
time it pages by, `filter` by that time (`created_at__lt`/`__gt`), and a slice that runs the query.
"""

import datetime
import uuid

from django.conf import settings
from django.db import connection
from django.utils.dateparse import parse_datetime

from activities.models import User


def iso_time(value):
    """A time as the contract writes it (UTC, with offset and microseconds): SQLite's are naive
    UTC, PostgreSQL's aware (in UTC, the connection's time zone)."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.isoformat(timespec="microseconds") + "+00:00"
    if value.utcoffset():
        value = value.astimezone(datetime.UTC)
    return value.isoformat(timespec="microseconds")


def text_uuid(value):
    """A uuid column's value as text with dashes: SQLite keeps 32 hex digits, PostgreSQL a UUID."""
    if value is None or isinstance(value, uuid.UUID):
        return value and str(value)
    if len(value) == 32:
        return f"{value[:8]}-{value[8:12]}-{value[12:16]}-{value[16:20]}-{value[20:]}"
    return str(uuid.UUID(value))


def db_uuid(value):
    """A uuid as the database compares it, as Django's UUIDField writes it."""
    value = value if isinstance(value, uuid.UUID) else uuid.UUID(value)
    return value if connection.features.has_native_uuid_field else value.hex


def db_time(text):
    """A paging position (a time with its offset, as `iso_time` writes it, or as str() of an
    aware time wrote it before) as the database compares it."""
    return connection.ops.adapt_datetimefield_value(parse_datetime(text))


def authored(pk, display_name, handle, message, created_at):
    """What an activity, a message and a message group begin with, as the contract shows them."""
    return {
        "uuid": text_uuid(pk),
        "display_name": display_name,
        "handle": handle,
        "message": message,
        "created_at": iso_time(created_at),
    }


def fetch(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def user_key(handle):
    """The primary key of the user with this handle, as the database compares it, or None."""
    if not User.could_have(handle):
        return None
    rows = fetch(f"SELECT uuid FROM {User._meta.db_table} WHERE handle = %s", (handle,))
    return rows[0][0] if rows else None


def acting_user_key():
    """The primary key of the acting user, who is created on first use (settings.CRUDDUR)."""
    key = user_key(settings.CRUDDUR["ACTING_USER_HANDLE"])
    return key if key is not None else db_uuid(User.objects.acting().pk)


class Selection:
    """A list's rows: `sql` up to and including its WHERE clause with `params`, paged by the time
    that `columns` names ({"created_at": "a.created_at"}), rows of one time in the order of
    `tie` (a unique column, so that pages never overlap), each row shaped by `shape`."""

    def __init__(self, sql, params, columns, tie, shape, ordering="-created_at", position=()):
        self.sql, self.params, self.columns, self.tie = sql, tuple(params), columns, tie
        self.shape, self.ordering, self.position = shape, ordering, position

    def _with(self, **changes):
        fields = {"ordering": self.ordering, "position": self.position, **changes}
        return Selection(self.sql, self.params, self.columns, self.tie, self.shape, **fields)

    def order_by(self, ordering, *tie_breakers):
        if tie_breakers or ordering.lstrip("-") not in self.columns:
            raise ValueError(f"a selection is ordered by one of {sorted(self.columns)}")
        return self._with(ordering=ordering)

    def filter(self, **condition):
        ((lookup, value),) = condition.items()
        name, _, comparison = lookup.rpartition("__")
        if name not in self.columns or comparison not in ("lt", "gt"):
            raise ValueError(f"a selection is filtered by {sorted(self.columns)}, __lt or __gt")
        operator = "<" if comparison == "lt" else ">"
        return self._with(position=(f"{self.columns[name]} {operator} %s", db_time(value)))

    def __getitem__(self, window):
        if not isinstance(window, slice) or window.step is not None:
            raise TypeError("a selection is read in one slice")
        start = window.start or 0
        name = self.ordering.lstrip("-")
        sql, params = self.sql, self.params
        if self.position:
            sql, params = f"{sql} AND {self.position[0]}", (*params, self.position[1])
        direction = "DESC" if self.ordering.startswith("-") else "ASC"
        order = f"{self.columns[name]} {direction}, {self.tie} {direction}"
        sql = f"{sql} ORDER BY {order} LIMIT %s OFFSET %s"
        shape = self.shape
        return [shape(row) for row in fetch(sql, (*params, window.stop - start, start))]
