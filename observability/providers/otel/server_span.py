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
  collect_request_attributes answers under the default conventions, in its order).

Kind, status, context, propagation and metrics come from the library's own functions: the span
that leaves is the same, with one deliberate difference on both paths: the route, in the span's
name and in http.route, reads as users read it (`GET /api/activities/@{handle}`, from
observability.routes), not in Django's pattern syntax (`GET api/activities/@<str:handle>`). Any
other configuration, and ASGI requests, take the library's code but for that
(test_server_span.py holds the two side by side).
"""

import contextlib
import wsgiref.util
from time import time
from timeit import default_timer
from typing import NamedTuple

from django.urls import Resolver404, resolve
from opentelemetry.context import detach
from opentelemetry.instrumentation._semconv import _StabilityMode
from opentelemetry.instrumentation.django.middleware.otel_middleware import (
    _DjangoMiddleware,
    _is_asgi_request,
    _parse_active_request_count_attrs,
    _parse_duration_attrs,
)
from opentelemetry.instrumentation.propagators import get_global_response_propagator
from opentelemetry.instrumentation.utils import _start_internal_or_server_span
from opentelemetry.instrumentation.wsgi import (
    _apply_user_agent_attributes,
    add_response_attributes,
    wsgi_getter,
)
from opentelemetry.semconv._incubating.attributes.http_attributes import (
    HTTP_FLAVOR,
    HTTP_HOST,
    HTTP_METHOD,
    HTTP_SCHEME,
    HTTP_SERVER_NAME,
    HTTP_TARGET,
    HTTP_URL,
)
from opentelemetry.semconv._incubating.attributes.net_attributes import (
    NET_HOST_NAME,
    NET_HOST_PORT,
    NET_PEER_IP,
    NET_PEER_NAME,
    NET_PEER_PORT,
)
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import use_span
from opentelemetry.util.http import (
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST,
    OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_RESPONSE,
    get_custom_headers,
    redact_url,
    sanitize_method,
)

from observability.problems import problems
from observability.routes import route_template

DEFAULT = _StabilityMode.DEFAULT
# request.META key: the span's name is still to be given (from the resolved URL).
UNNAMED = "observability.server_span.unnamed"
START_TIME = "opentelemetry-instrumentor-django.starttime_key"


def request_attributes(environ):
    """What the library's collect_request_attributes(environ) answers under the default
    conventions, in its order, without its two helper calls per attribute."""
    result = {}
    method = sanitize_method(environ.get("REQUEST_METHOD", "")).strip()
    if method:
        result[HTTP_METHOD] = method
    result[HTTP_SERVER_NAME] = environ.get("SERVER_NAME")
    if scheme := environ.get("wsgi.url_scheme"):
        result[HTTP_SCHEME] = scheme
    if host := environ.get("HTTP_HOST"):
        result[NET_HOST_NAME] = result[HTTP_HOST] = host
    if (port := environ.get("SERVER_PORT")) and (port := int(port)):
        result[NET_HOST_PORT] = port
    target = environ.get("RAW_URI")
    if target is None:
        target = environ.get("REQUEST_URI")
    if target:
        result[HTTP_TARGET] = target
    else:
        result[HTTP_URL] = redact_url(wsgiref.util.request_uri(environ))
    if remote_addr := environ.get("REMOTE_ADDR"):
        result[NET_PEER_IP] = remote_addr
    if peer_port := environ.get("REMOTE_PORT"):
        with contextlib.suppress(ValueError, TypeError):
            result[NET_PEER_PORT] = int(peer_port)
    remote_host = environ.get("REMOTE_HOST")
    if remote_host and remote_host != remote_addr:
        result[NET_PEER_NAME] = remote_host
    if environ.get("HTTP_USER_AGENT"):
        _apply_user_agent_attributes(result, environ, DEFAULT)
    flavor = environ.get("SERVER_PROTOCOL", "")
    if flavor.upper().startswith("HTTP/"):
        flavor = flavor[len("HTTP/") :]
    if flavor:
        result[HTTP_FLAVOR] = flavor
    return result


class UnresolvedRequest(NamedTuple):
    """What the library's _get_span_name reads of a request that its handler has not resolved."""

    method: str
    path: str
    resolver_match: None = None


class ServerSpanMiddleware(_DjangoMiddleware):
    """The instrumentation's middleware, with a lean path for WSGI requests under the default
    configuration (see the module's docstring)."""

    def __init__(self, get_response):
        super().__init__(get_response)
        self.lean = self.default_configuration()

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
        attributes = request_attributes(meta)
        method = sanitize_method(request.method.strip())
        span, token = _start_internal_or_server_span(
            tracer=self._tracer,
            span_name="HTTP" if method == "_OTHER" else request.method,
            start_time=meta.get(START_TIME),
            context_carrier=meta,
            context_getter=wsgi_getter,
            attributes=attributes,
        )
        active_requests_count_attrs = _parse_active_request_count_attrs(attributes, DEFAULT)
        meta[self._environ_active_request_attr_key] = active_requests_count_attrs
        meta[self._environ_duration_attr_key] = attributes
        self._active_request_counter.add(1, active_requests_count_attrs)
        if method != "_OTHER":
            meta[UNNAMED] = True
        activation = use_span(span, end_on_exit=True)
        activation.__enter__()  # left in process_response, as the library does
        meta[self._environ_timer_key] = default_timer()
        meta[self._environ_activation_key] = activation
        meta[self._environ_span_key] = span
        if token:
            meta[self._environ_token] = token
        return None

    @staticmethod
    def _get_span_name(request):
        """The library's name, with the route as users read it: `GET /api/activities/@{handle}`
        rather than Django's `GET api/activities/@<str:handle>` (the library path uses it too)."""
        method = sanitize_method(request.method.strip())
        if method == "_OTHER":
            return "HTTP"
        try:
            match = request.resolver_match or resolve(request.path)
        except Resolver404:
            return request.method
        if match.route:
            return f"{method} {route_template(match.route)}"
        return f"{method} {match.url_name}" if match.url_name else request.method

    def name_span(self, request, span):
        """Gives the span the library's name: from the handler's resolved URL where the handler
        resolved the path the library resolves (request.path), else by resolving it as the
        library does. A failure leaves the method as the name and the request unharmed."""
        if not request.META.pop(UNNAMED, False) or not span.is_recording():
            return
        try:
            if request.path == request.path_info and request.resolver_match:
                name = self._get_span_name(request)
            else:
                name = self._get_span_name(UnresolvedRequest(request.method, request.path))
            span.update_name(name)
        except Exception:
            problems.warn(
                ("otel", "span-name"), "observability: the span of %s keeps its method as its name",
                request.path, exc_info=True,
            )  # fmt: skip

    def process_view(self, request, view_func, *args, **kwargs):
        meta = request.META
        if self.library_path(request):
            super().process_view(request, view_func, *args, **kwargs)
            span = meta.get(self._environ_span_key)
            self.set_route(request, span, None)
            return None
        span = meta.get(self._environ_span_key)
        if span is None or self._environ_activation_key not in meta:
            return None
        self.name_span(request, span)
        self.set_route(request, span, meta[self._environ_duration_attr_key])
        return None

    @staticmethod
    def set_route(request, span, duration_attributes):
        """http.route as users read it (the span's name has it too), on the span and in the
        attributes of the duration metric."""
        route = getattr(request.resolver_match, "route", None)
        if not route:
            return
        route = route_template(route)
        if span is not None and span.is_recording():
            span.set_attribute(HTTP_ROUTE, route)
        if duration_attributes is not None:
            duration_attributes[HTTP_TARGET] = route

    def process_exception(self, request, exception):
        if self.library_path(request):
            return super().process_exception(request, exception)
        if self._environ_activation_key in request.META:
            request.META[self._environ_exception_key] = exception
        return None

    def process_response(self, request, response):
        if self.library_path(request):
            return super().process_response(request, response)
        meta = request.META
        activation = meta.pop(self._environ_activation_key, None)
        span = meta.pop(self._environ_span_key, None)
        active_requests_count_attrs = meta.pop(self._environ_active_request_attr_key, None)
        duration_attrs = meta.pop(self._environ_duration_attr_key, None)
        request_start_time = meta.pop(self._environ_timer_key, None)
        exception = None
        if activation and span:
            self.name_span(request, span)
            add_response_attributes(
                span,
                f"{response.status_code} {response.reason_phrase}",
                (),  # read only for headers to capture: none are configured on this path
                duration_attrs=duration_attrs,
                sem_conv_opt_in_mode=DEFAULT,
            )
            propagator = get_global_response_propagator()
            if propagator:
                propagator.inject(response)
            exception = meta.pop(self._environ_exception_key, None)
        if request_start_time is not None:
            self.record_duration(default_timer() - request_start_time, duration_attrs)
        self._active_request_counter.add(-1, active_requests_count_attrs)
        if activation and span:
            if exception:
                activation.__exit__(type(exception), exception, exception.__traceback__)
            else:
                activation.__exit__(None, None, None)
        if meta.get(self._environ_token) is not None:
            detach(meta.pop(self._environ_token))
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
