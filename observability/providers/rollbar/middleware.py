"""Rollbar's Django middleware on the exception path only.

Rollbar's RollbarNotifierMiddleware does two things. On every request, it reads the request's
headers into Rollbar's session (the `baggage` header's rollbar.session.id, and a new random
execution scope id) and keeps it in a context variable for the items of that request. On a view's
exception, its process_exception reports the exception with its request. The first costs every
request for what only an item reads; here the session is made from the request when the request's
first item is built, and Rollbar's own middleware (built once, never in the chain) reports the
exception as it always did.
"""

import rollbar
from rollbar.contrib.django.middleware import RollbarNotifierMiddleware
from rollbar.lib.session import get_current_session, parse_session_request_baggage_headers

from observability.problems import problems

# Where a request keeps its Rollbar session once an item has been built for it.
SESSION_ATTRIBUTE = "_rollbar_session"


class RollbarExceptionMiddleware:
    """Reports a view's unhandled exception through Rollbar's middleware. It has no __call__: it
    takes no place in ObservabilityMiddleware's chain, so a request that raises nothing never
    meets it."""

    def __init__(self, get_response):
        # As when it was in the chain: it initialises Rollbar from ROLLBAR, sets the hook that
        # names the item's view and framework, and raises MiddlewareNotUsed without a token.
        self.notifier = RollbarNotifierMiddleware(get_response)
        rollbar.BASE_DATA_HOOK = with_request_session(rollbar.BASE_DATA_HOOK)

    def process_exception(self, request, exception):
        return self.notifier.process_exception(request, exception)


def with_request_session(hook):
    """Rollbar's base data hook, then the request's session as the item's attributes: what
    Rollbar's middleware kept in a context variable for every item of the request."""

    def base_data_hook(request, data):
        if hook is not None:
            hook(request, data)
        try:
            if getattr(request, "META", None) is not None and not get_current_session():
                data["attributes"] = list(request_session(request))
        except Exception:
            problems.warn(
                ("rollbar", "session"), "observability: Rollbar's session of the request failed",
                exc_info=True,
            )  # fmt: skip

    return base_data_hook


def request_session(request):
    """The request's Rollbar session, made as Rollbar's middleware makes it (the ids in its
    `baggage` header, and a new execution scope id), once per request."""
    request = getattr(request, "_request", request)  # DRF's Request wraps Django's
    session = request.__dict__.get(SESSION_ATTRIBUTE)
    if session is None:
        baggage = request.META.get("HTTP_BAGGAGE")
        headers = {"baggage": baggage} if baggage else {}
        session = parse_session_request_baggage_headers(headers, generate_missing=True)
        setattr(request, SESSION_ATTRIBUTE, session)
    return session
