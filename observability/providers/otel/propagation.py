"""OpenTelemetry reading X-Ray's header as X-Ray means it.

X-Ray lets a trace arrive with a Root and no Parent (a load balancer adds only the Root), and with
no sampling decision yet (no Sampled, or Sampled=?). OpenTelemetry's own X-Ray propagator drops the
first and treats the second as "not sampled". Here the Root is kept (under a placeholder parent
that is never passed on) and an undecided trace is sampled by the local sampler.
"""

import random

from opentelemetry import propagate, trace
from opentelemetry.baggage.propagation import W3CBaggagePropagator
from opentelemetry.context import get_current
from opentelemetry.propagators.aws import AwsXRayPropagator
from opentelemetry.propagators.composite import CompositePropagator
from opentelemetry.propagators.textmap import TextMapPropagator, default_getter, default_setter
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    Sampler,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from observability.problems import problems
from observability.trace_ids import NO_PARENT, UNDECIDED, parse_xray_header


class XRayHeaderPropagator(AwsXRayPropagator):
    """Extracts X-Amzn-Trace-Id, keeping a Root without Parent and an undecided Sampled."""

    def extract(self, carrier, context=None, getter=None):
        getter = getter or default_getter
        values = getter.get(carrier, "X-Amzn-Trace-Id") or []
        trace_id, parent_id, sampled = parse_xray_header(",".join(values))
        if not trace_id:
            return context if context is not None else trace.set_span_in_context(trace.INVALID_SPAN)
        state = []
        if parent_id is None:
            state.append(NO_PARENT)
        if sampled is None:
            state.append(UNDECIDED)
        span_context = trace.SpanContext(
            trace_id=int(trace_id, 16),
            span_id=int(parent_id, 16) if parent_id else random.getrandbits(64) | 1,
            is_remote=True,
            trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled else 0),
            trace_state=trace.TraceState(state),
        )
        return trace.set_span_in_context(trace.NonRecordingSpan(span_context), context)


class FailOpenPropagator(TextMapPropagator):
    """One propagator of the composite, whose failure on a header however malformed is logged
    (rate-limited) and leaves the context as it was: a bad header starts a fresh trace, never
    fails the request (extraction runs inside OpenTelemetry's own middleware)."""

    def __init__(self, inner):
        self.inner = inner

    def extract(self, carrier, context=None, getter=None):
        try:
            return self.inner.extract(carrier, context, getter or default_getter)
        except Exception:
            self._complain("extract")
            return context if context is not None else trace.set_span_in_context(trace.INVALID_SPAN)

    def inject(self, carrier, context=None, setter=None):
        try:
            self.inner.inject(carrier, context, setter or default_setter)
        except Exception:
            self._complain("inject")

    @property
    def fields(self):
        return self.inner.fields

    def _complain(self, action):
        name = type(self.inner).__name__
        problems.warn(
            ("otel", "propagator", name, action),
            "observability: %s.%s failed; the request goes on", name, action, exc_info=True,
        )  # fmt: skip


class RequestPropagator(CompositePropagator):
    """Incoming context from either header: X-Amzn-Trace-Id, or W3C traceparent (which wins), and
    W3C baggage; each propagator fail-open."""

    def __init__(self):
        propagators = [
            XRayHeaderPropagator(), TraceContextTextMapPropagator(), W3CBaggagePropagator()
        ]  # fmt: skip
        super().__init__([FailOpenPropagator(propagator) for propagator in propagators])
        # The WSGI environ keys of the headers they read, as OpenTelemetry's WSGI getter names them.
        self.environ_keys = tuple(
            "HTTP_" + field.upper().replace("-", "_") for field in sorted(self.fields)
        )


def extract_request_context(environ, getter):
    """What the global propagator extracts from a request's environ. When it is ours and the
    request carries none of the headers it reads (most requests), extraction would find nothing
    and leave the current context as it is: that context is answered without running it."""
    textmap = propagate.get_global_textmap()
    if isinstance(textmap, RequestPropagator) and not any(
        key in environ for key in textmap.environ_keys
    ):
        return get_current()
    return textmap.extract(environ, getter=getter)


class UndecidedParentSampler(Sampler):
    """For a remote parent marked "not sampled": decide locally when X-Ray left it undecided."""

    def __init__(self, root):
        self.root = root

    def should_sample(
        self,
        parent_context,
        trace_id,
        name,
        kind=None,
        attributes=None,
        links=None,
        trace_state=None,
    ):
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent.trace_state.get(UNDECIDED[0]) == UNDECIDED[1]:
            return self.root.should_sample(parent_context, trace_id, name, kind, attributes, links)
        return SamplingResult(Decision.DROP)

    def get_description(self):
        return f"UndecidedParentSampler{{{self.root.get_description()}}}"


class RequestSampler(ParentBased):
    """ParentBased, deciding what its ALWAYS_ON samplers decide (every new trace, when no ratio is
    set, and every child of a sampled parent) in one step: ParentBased and then its sampler each
    look the parent up again. Every other decision is ParentBased's own."""

    def should_sample(self, parent_context, trace_id, name, kind=None, attributes=None,
                      links=None, trace_state=None):  # fmt: skip
        parent = trace.get_current_span(parent_context).get_span_context()
        if parent is None or not parent.is_valid:
            sampler, state = self._root, None
        elif parent.is_remote:
            sampled = parent.trace_flags.sampled
            sampler = self._remote_parent_sampled if sampled else self._remote_parent_not_sampled
            state = parent.trace_state
        else:
            sampled = parent.trace_flags.sampled
            sampler = self._local_parent_sampled if sampled else self._local_parent_not_sampled
            state = parent.trace_state
        if sampler is ALWAYS_ON:  # what it answers, with the parent's trace state
            return SamplingResult(Decision.RECORD_AND_SAMPLE, attributes, state)
        return super().should_sample(parent_context, trace_id, name, kind, attributes, links)

    @property
    def samples_children_of_sampled_parents(self):
        """Whether a child of a sampled span of this process is sampled, with its parent's trace
        state and no attributes of the sampler's (child_spans.LeanTracer asks)."""
        return self._local_parent_sampled is ALWAYS_ON


def sampler_ratio(value):
    """The fraction of new traces to sample, from OTEL_TRACES_SAMPLER_ARG's text: None when unset,
    a number from 0 to 1, or ValueError."""
    if value is None or value == "":
        return None
    ratio = float(value)
    if not 0.0 <= ratio <= 1.0:
        raise ValueError(f"{value!r} is not between 0 and 1")
    return ratio


def request_sampler(ratio=None, root=None):
    """Parent-based sampling (one decision per trace) whose root samples every request, or the
    fraction `ratio` of them, or decides by the sampler `root`."""
    if root is None:
        root = TraceIdRatioBased(ratio) if ratio is not None else ALWAYS_ON
    return RequestSampler(root=root, remote_parent_not_sampled=UndecidedParentSampler(root))
