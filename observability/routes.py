"""A request's route as its users read it: `/api/activities/@{handle}`, one name for every handle.

Spans, X-Ray segments and request metrics are named by it, so that one route's requests group
together in every backend, and no value from a path (a handle, an id) becomes a name."""

import functools
import re

# Django's path converters, `<str:handle>` or `<handle>`; a regular expression's named groups.
_CONVERTER = re.compile(r"<(?:[^<>:]+:)?([^<>]+)>")
_NAMED_GROUP = re.compile(r"\(\?P<(\w+)>[^()]*\)")


@functools.lru_cache(maxsize=1024)
def route_template(route):
    """Django's route pattern (`api/activities/@<str:handle>`) in OpenAPI's path style
    (`/api/activities/@{handle}`); a regular expression's anchors are dropped and its named
    groups read `{name}` too."""
    path = _NAMED_GROUP.sub(r"{\1}", route.removeprefix("^").removesuffix("$"))
    return "/" + _CONVERTER.sub(r"{\1}", path).lstrip("/")


def request_route(request):
    """The route of the URL pattern that `request` resolved to, or None before it is resolved
    and for a path that matches none."""
    route = getattr(getattr(request, "resolver_match", None), "route", None)
    return route_template(route) if route else None
