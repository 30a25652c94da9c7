"""One trace id per request across OpenTelemetry, X-Ray, the logs and Rollbar.

OpenTelemetry makes X-Ray-compatible ids (AwsXRayIdGenerator) and reads both `traceparent` and
`X-Amzn-Trace-Id`. TraceCorrelationMiddleware, first in ObservabilityMiddleware, hands the
request's trace (and its sampling decision) to the X-Ray middleware through the header it reads,
keeps the ids where logging and Rollbar find them, and answers them in `X-Amzn-Trace-Id`.
"""

import contextvars
import threading

from opentelemetry import trace
from opentelemetry.context import _RUNTIME_CONTEXT, get_current
from opentelemetry.context.contextvars_context import ContextVarsRuntimeContext
from opentelemetry.trace.propagation import _SPAN_KEY

from observability.trace_ids import (
    is_placeholder_parent,
    parse_traceparent,
    parse_xray_header,
    to_xray,
)

XRAY_HEADER = "X-Amzn-Trace-Id"
XRAY_META = "HTTP_X_AMZN_TRACE_ID"


class TraceIds:
    """A request's trace: the OpenTelemetry hex form, the X-Ray form, and the sampling decision.
    Read-only; a plain class with slots, its X-Ray form made once: every request reads it (its
    answer's header) and so does each of its log lines. (A frozen dataclass with a cached
    property cost the request about twice as much, its property taking a lock.)"""

    __slots__ = ("parent_id", "sampled", "trace_id", "xray_trace_id")

    def __init__(self, trace_id, parent_id=None, sampled=None):
        set_field = object.__setattr__
        set_field(self, "trace_id", trace_id)
        set_field(self, "parent_id", parent_id)
        set_field(self, "sampled", sampled)
        set_field(self, "xray_trace_id", to_xray(trace_id))

    def __setattr__(self, name, value):
        raise AttributeError(f"TraceIds are read-only: cannot set {name}")

    def __repr__(self):
        return f"TraceIds({self.trace_id!r}, {self.parent_id!r}, {self.sampled!r})"

    def __eq__(self, other):
        if other.__class__ is not TraceIds:
            return NotImplemented
        return (self.trace_id, self.parent_id, self.sampled) == (
            other.trace_id, other.parent_id, other.sampled,
        )  # fmt: skip

    def __hash__(self):
        return hash((self.trace_id, self.parent_id, self.sampled))

    def xray_header(self):
        parts = [f"Root={self.xray_trace_id}"]
        if self.parent_id:
            parts.append(f"Parent={self.parent_id}")
        if self.sampled is not None:
            parts.append(f"Sampled={int(self.sampled)}")
        return ";".join(parts)


# The current context: contextvars' own getter where that is the runtime context (the default).
current_context = (
    _RUNTIME_CONTEXT._current_context.get
    if isinstance(_RUNTIME_CONTEXT, ContextVarsRuntimeContext)
    else get_current
)


def current_span(context=None):
    """trace.get_current_span, in one call where the runtime context is contextvars' (the
    default), not four: every request and every log line asks for it."""
    span = (context if context is not None else current_context()).get(_SPAN_KEY)
    return span if isinstance(span, trace.Span) else trace.INVALID_SPAN


current_trace = contextvars.ContextVar("observability_trace", default=None)
# The last request's trace on this thread, for lines logged after the request is done
# (runserver's django.server access log).
last_trace = threading.local()


def otel_trace():
    """The trace of the current OpenTelemetry span, when there is a valid one."""
    span = current_span()
    context = span.get_span_context()
    if not context.is_valid:
        return None
    parent = getattr(span, "parent", None)
    real_parent = parent is not None and parent.is_remote and not is_placeholder_parent(parent)
    parent_id = f"{parent.span_id:016x}" if real_parent else None
    return TraceIds(f"{context.trace_id:032x}", parent_id, context.trace_flags.sampled)


def incoming_trace(meta):
    """The trace a request arrived with (X-Amzn-Trace-Id, else traceparent), or a new one."""
    trace_id, parent_id, sampled = parse_xray_header(meta.get(XRAY_META))
    if trace_id:
        return TraceIds(trace_id, parent_id, sampled)
    traceparent = parse_traceparent(meta.get("HTTP_TRACEPARENT"))
    if traceparent:
        return TraceIds(*traceparent)
    from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator

    return TraceIds(f"{AwsXRayIdGenerator().generate_trace_id():032x}")


def log_ids():
    """(trace_id, xray_trace_id, span_id) for a log record now; dashes outside a request."""
    ids = current_trace.get() or getattr(last_trace, "ids", None)
    if ids is None:
        return "-", "-", "-"
    context = current_span().get_span_context()
    span_id = f"{context.span_id:016x}" if context.is_valid else (ids.parent_id or "-")
    return ids.trace_id, ids.xray_trace_id, span_id


class TraceCorrelationMiddleware:
    """Gives the request one trace for every provider, and answers it in X-Amzn-Trace-Id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        ids = otel_trace() or incoming_trace(request.META)
        request.META[XRAY_META] = ids.xray_header()
        token = current_trace.set(ids)
        last_trace.ids = None
        try:
            response = self.get_response(request)
        finally:
            current_trace.reset(token)
            last_trace.ids = ids
        # Ours, not the X-Ray SDK's: it answers a dummy id for a request it does not sample.
        response[XRAY_HEADER] = f"Root={ids.xray_trace_id}"
        span = current_span()
        if span.is_recording():
            request_fields(span, request, response)
        return response


def request_fields(span, request, response):
    """What the X-Ray SDK's middleware records of a request and the server span does not hold,
    put on the span (for X-Ray's otel source, and any backend): the client's address as
    X-Forwarded-For gives it, and the response's length."""
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR")
    if forwarded:
        span.set_attribute("http.client_ip", forwarded)
    if response.has_header("Content-Length"):
        span.set_attribute("http.response_content_length", int(response["Content-Length"]))
