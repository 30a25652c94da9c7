"""The X-Ray SDK source's `sql` subsegments: one per query, by the SDK's own Django database
patching (aws_xray_sdk.ext.django.db.patch_db, which XRAY_RECORDER's AUTO_INSTRUMENT runs in the
SDK's Django app; here the provider configures the recorder itself, so it runs it too).

The SDK's patched cursor opens a subsegment for every query, also where no segment is open
(`migrate`, management commands, a thread of its own), and then logs the missing context as an
error, once per query. Here a connection hands out the SDK's traced cursor only while a segment is
open on the thread, and its own cursor otherwise. The statements leave without their literal
values (the emitter scrubs each segment, observability.sql).
"""

from django.db import connections

from observability.problems import problems

# The wrapper methods the SDK patches.
CURSOR_METHODS = ("cursor", "chunked_cursor")


def in_segment():
    """Whether a segment is open on this thread, asked without the SDK's context-missing error."""
    from aws_xray_sdk.core import xray_recorder

    return bool(getattr(xray_recorder.context._local, "entities", None))


def inside_segments(traced, original):
    """A connection's cursor method that traces only inside a segment."""

    def cursor(self, *args, **kwargs):
        if in_segment():
            return traced(self, *args, **kwargs)
        return original(self, *args, **kwargs)

    cursor.inside_segments = True
    return cursor


def patch_databases():
    """Patches every database wrapper class with the SDK's tracing, inside segments only; once
    per class, whatever the number of calls (a forked worker inherits its parent's patch).
    Where the SDK cannot patch, the segments go on without sql subsegments, and it says so."""
    try:
        patch_inside_segments()
    except Exception:
        problems.warn(
            ("X-Ray", "databases"), "observability: X-Ray: no sql subsegments: the SDK could not "
            "patch the databases", exc_info=True,
        )  # fmt: skip


def patch_inside_segments():
    from aws_xray_sdk.ext.django.db import patch_db

    patch_db()
    for wrapper_class in {type(connection) for connection in connections.all()}:
        for name in CURSOR_METHODS:
            traced = getattr(wrapper_class, name, None)
            original = getattr(wrapper_class, f"_xray_original_{name}", None)
            if traced is None or original is None or getattr(traced, "inside_segments", False):
                continue
            setattr(wrapper_class, name, inside_segments(traced, original))
