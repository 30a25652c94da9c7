"""OpenTelemetry's Django middleware, without the per-request work our configuration never needs.

The instrumentation's middleware was most of what OpenTelemetry cost a request. For a WSGI request
under the default configuration (no excluded URLs, no traced request attributes, no captured
headers, no hooks, the default semantic conventions) ServerSpanMiddleware does the same with less:

- it names the span from the URL the handler resolves anyway (in process_view), instead of
  resolving the path a second time when the span starts (opentelemetry-python-contrib#2710); a
  request that never reaches a view is named at response time exactly as the library names it;
- it does not build the absolute URL three times per request to test it against an exclusion
  list that is empty;
- it does not set the start attributes a second time, one by one, or look for captured headers
  that are not configured;
- it collects the request's attributes without two helper calls per attribute (what the library's
  collect_request_attributes answers under the default conventions, in its order:
  request_attributes.py), and sanitizes the method once rather than three times;
- it attaches the extracted context and the span in one step, not two, and keeps its state in one
  object rather than seven keys of request.META;
- it skips extraction when the request carries none of the headers our propagators read
  (propagation.extract_request_context), and the library's request metrics when its meter is a
  no-op (ours are observability.metrics', by route).

Kind, status, context, propagation and exception events are the library's: the span that leaves
is the same, with one deliberate difference on both paths: the route, in the span's
name and in http.route, reads as users read it (`GET /api/activities/@{handle}`, from
observability.routes), not in Django's pattern syntax (`GET api/activities/@<str:handle>`). Any
other configuration, and ASGI requests, take the library's code but for that
(test_server_span.py holds the two side by side).
"""

from time import time
from timeit import default_timer
from typing import NamedTuple

from django.urls import Resolver404, resolve
from opentelemetry.context import attach, detach, get_current
from opentelemetry.instrumentation._semconv import _StabilityMode
from opentelemetry.instrumentation.django.middleware.otel_middleware import (
    _DjangoMiddleware,
    _is_asgi_request,
    _parse_active_request_count_attrs,
    _parse_duration_attrs,
)
from opentelemetry.instrumentation.propagators import get_global_response_propagator
from opentelemetry.instrumentation.utils import http_status_to_status_code
from opentelemetry.instrumentation.wsgi import add_response_attributes, wsgi_getter
from opentelemetry.metrics import NoOpHistogram, NoOpUpDownCounter
from opentelemetry.semconv._incubating.attributes.http_attributes import (
    HTTP_STATUS_CODE,
    HTTP_TARGET,
)
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import (
    INVALID_SPAN,
    SpanKind,
    Status,
    StatusCode,
    get_current_span,
    set_span_in_context,
    use_span,
)
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
    get_custom_headers,
)

from observability.problems import problems
from observability.providers.otel.propagation import extract_request_context
from observability.providers.otel.request_attributes import request_attributes, sanitized_method
from observability.routes import request_route, route_template

DEFAULT = _StabilityMode.DEFAULT
# request.META key: the request's span on the lean path (RequestSpan).
REQUEST_SPAN = "observability.server_span"
START_TIME = "opentelemetry-instrumentor-django.starttime_key"


class UnresolvedRequest(NamedTuple):
    """What the library's _get_span_name reads of a request that its handler has not resolved."""

    method: str
    path: str
    resolver_match: None = None


class RequestSpan:
    """A request's span on the lean path, from process_request to process_response: the span, the
    context token to detach, the method the span is still to be named with (None once named), the
    exception the view raised, and what the library's metrics need (when they are recorded)."""

    __slots__ = ("exception", "metric_attributes", "span", "started", "token", "unnamed")

    def __init__(self, span, token, unnamed):
        self.span = span
        self.token = token
        self.unnamed = unnamed
        self.exception = None
        self.metric_attributes = None
        self.started = None


def no_op(instrument):
    return instrument is None or isinstance(instrument, (NoOpHistogram, NoOpUpDownCounter))


class ServerSpanMiddleware(_DjangoMiddleware):
    """The instrumentation's middleware, with a lean path for WSGI requests under the default
    configuration (see the module's docstring)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.lean = self.default_configuration()
        # The library's request metrics, unless its meter is a no-op (ours are metrics.py's).
        self.metered = not all(
            no_op(instrument)
            for instrument in (
                self._active_request_counter,
                self._duration_histogram_old,
                self._duration_histogram_new,
            )
        )

    @classmethod
    def default_configuration(cls):
        """True when nothing the lean path leaves out is configured."""
        return (
            not getattr(cls._excluded_urls, "_excluded_urls", True)
            and not cls._traced_request_attrs
            and cls._sem_conv_opt_in_mode is DEFAULT
            and cls._otel_request_hook is None
            and cls._otel_response_hook is None
            and not get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST)
            and not get_custom_headers(OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE)
        )

    def library_path(self, request):
        return not self.lean or _is_asgi_request(request)

    def process_request(self, request):
        if self.library_path(request):
            return super().process_request(request)
        request._otel_start_time = time()
        meta = request.META
        method = request.method
        sanitized = sanitized_method(method.strip())
        # The library sanitizes the environ's method, then strips it: the same unless it is padded.
        attributes = request_attributes(meta, sanitized if method == method.strip() else None)
        current = get_current()
        if get_current_span(current) is INVALID_SPAN:
            parent, kind = extract_request_context(meta, wsgi_getter), SpanKind.SERVER
        else:
            parent, kind = current, SpanKind.INTERNAL
        span = self._tracer.start_span(
            "HTTP" if sanitized == "_OTHER" else method,
            context=parent,
            kind=kind,
            attributes=attributes,
            start_time=meta.get(START_TIME),
        )
        # One attach for what the library attaches twice (the extracted context, then the span).
        token = attach(set_span_in_context(span, parent))
        state = RequestSpan(span, token, None if sanitized == "_OTHER" else sanitized)
        if self.metered:
            state.metric_attributes = attributes
            active = _parse_active_request_count_attrs(attributes, DEFAULT)
            self._active_request_counter.add(1, active)
            state.started = (active, default_timer())
        meta[REQUEST_SPAN] = state
        return None

    def name_span(self, request, state):
        """Gives the span the library's name: from the handler's resolved URL where the handler
        resolved the path the library resolves (request.path), else by resolving it as the
        library does; the route as users read it. A failure leaves the method as the name and the
        request unharmed."""
        method, state.unnamed = state.unnamed, None
        if method is None or not state.span.is_recording():
            return
        try:
            if request.path == request.path_info and request.resolver_match:
                name = span_name(method, request.resolver_match, request.method)
            else:
                name = self._get_span_name(UnresolvedRequest(request.method, request.path))
            state.span.update_name(name)
        except Exception:
            problems.warn(
                ("otel", "span-name"), "observability: the span of %s keeps its method as its name",
                request.path, exc_info=True,
            )  # fmt: skip

    @staticmethod
    def _get_span_name(request):
        """The library's name, with the route as users read it: `GET /api/activities/@{handle}`
        rather than Django's `GET api/activities/@<str:handle>` (the library path uses it too)."""
        method = sanitized_method(request.method.strip())
        if method == "_OTHER":
            return "HTTP"
        try:
            match = request.resolver_match or resolve(request.path)
        except Resolver404:
            return request.method
        return span_name(method, match, request.method)

    def process_view(self, request, view_func, *args, **kwargs):
        if self.library_path(request):
            super().process_view(request, view_func, *args, **kwargs)
            self.set_route(request, request.META.get(self._environ_span_key), None)
            return None
        state = request.META.get(REQUEST_SPAN)
        if state is not None:
            self.name_span(request, state)
            self.set_route(request, state.span, state.metric_attributes)
        return None

    @staticmethod
    def set_route(request, span, duration_attributes):
        """http.route as users read it (the span's name has it too), on the span and in the
        attributes of the duration metric."""
        route = request_route(request)
        if not route:
            return
        if span is not None and span.is_recording():
            span.set_attribute(HTTP_ROUTE, route)
        if duration_attributes is not None:
            duration_attributes[HTTP_TARGET] = route

    def process_exception(self, request, exception):
        if self.library_path(request):
            return super().process_exception(request, exception)
        state = request.META.get(REQUEST_SPAN)
        if state is not None:
            state.exception = exception
        return None

    def process_response(self, request, response):
        if self.library_path(request):
            return super().process_response(request, response)
        state = request.META.pop(REQUEST_SPAN, None)
        if state is None:
            return response
        span = state.span
        self.name_span(request, state)
        response_status(span, response, state.metric_attributes)
        propagator = get_global_response_propagator()
        if propagator:
            propagator.inject(response)
        if self.metered:
            active, started = state.started
            self.record_duration(default_timer() - started, state.metric_attributes)
            self._active_request_counter.add(-1, active)
        detach(state.token)
        end_span(span, state.exception)
        return response

    def record_duration(self, duration_s, duration_attrs):
        """The duration histogram, as the library records it under the default conventions."""
        if self._duration_histogram_old:
            attributes = _parse_duration_attrs(duration_attrs, DEFAULT)
            target = duration_attrs.get(HTTP_TARGET)
            if target:
                attributes[HTTP_TARGET] = target
            self._duration_histogram_old.record(max(round(duration_s * 1000), 0), attributes)
        if self._duration_histogram_new:
            attributes = _parse_duration_attrs(duration_attrs, _StabilityMode.HTTP)
            self._duration_histogram_new.record(max(duration_s, 0), attributes)


def span_name(method, match, request_method):
    """The library's name of a resolved request, the route as users read it."""
    if getattr(match, "route", None):
        return f"{method} {route_template(match.route)}"
    url_name = getattr(match, "url_name", None)
    return f"{method} {url_name}" if url_name else request_method


def response_status(span, response, metric_attributes):
    """The status code and the span's status, as the library's add_response_attributes sets them
    under the default conventions."""
    code = response.status_code
    if type(code) is not int or code < 0:  # the library's way with what is no status code
        add_response_attributes(
            span, f"{code} {response.reason_phrase}", (), duration_attrs=metric_attributes,
            sem_conv_opt_in_mode=DEFAULT,
        )  # fmt: skip
        return
    if metric_attributes is not None:
        metric_attributes[HTTP_STATUS_CODE] = code
    if span.is_recording():
        span.set_attribute(HTTP_STATUS_CODE, code)
        status = http_status_to_status_code(code, server_span=True)
        if status is not StatusCode.UNSET:  # which the SDK's span ignores
            span.set_status(Status(status))


def end_span(span, exception):
    """Ends the span; with the exception the view raised, through the library's use_span, which
    records it (its stack trace showing use_span's frame) and sets the error status."""
    if exception is None:
        span.end()
        return
    activation = use_span(span, end_on_exit=True)
    activation.__enter__()
    activation.__exit__(type(exception), exception, exception.__traceback__)
