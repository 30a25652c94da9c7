"""Child spans without the SDK's generic machinery: a span started under a sampled, recording
span of this process is a ChildSpan, which records and exports what the SDK's span would.

The SDK's span cost a request about 0.17 M instructions for the view's one span of two
attributes (BoundedAttributes cleaning each value behind a lock, the sampler asked again, the
ended span copied into a ReadableSpan for the processors). A child of a sampled parent needs
none of that: the ParentBased samplers in use sample it because its parent is (RequestSampler,
which says so), its attributes are plain values, and once ended it is its own ReadableSpan. It
goes through the provider's span processors (on_start, on_end) like any span, is made current
by LeanTracer's start_as_current_span (CurrentSpan: what the SDK's does, without its two
generator-based context managers; the view's span, export included, went from 137k to 118k
instructions, and an exception's stack no longer ends in their two frames), and is scrubbed
once as it ends, so the exports take it as it is (is_clean). A sampled span that starts a trace
here (a request's server span: no parent, or a remote one) is a RootSpan, made the same way once
the sampler has been asked, as the SDK asks it: the SDK's span cost a home request's server span
(13 attributes, counted without the processors) 205k instructions, the RootSpan 94k. Links,
explicit start times, traces the sampler does not sample, the SDK's own span metrics and any
other sampler keep the SDK's span.
"""

import contextlib
import functools
import inspect
import time
import traceback
from random import getrandbits

from opentelemetry import trace
from opentelemetry.attributes import _clean_attribute_value
from opentelemetry.context import attach, detach
from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
from opentelemetry.sdk.trace import Event, ReadableSpan, SpanLimits, SpanProcessor, Tracer, _Span
from opentelemetry.sdk.trace._tracer_metrics import NoOpTracerMetrics
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.id_generator import RandomIdGenerator
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode, TraceFlags

from observability.correlation import current_span
from observability.scrubbing import process_secrets, scrub_attributes, scrub_text

_SPAN_ID_MAX = 2**64 - 1
# Id generators whose span ids are random.getrandbits(64), drawn again when 0.
_RANDOM_SPAN_IDS = (AwsXRayIdGenerator, RandomIdGenerator)
UNSET = Status(StatusCode.UNSET)  # a span's status until one is set, as the SDK's default
_PLAIN = (str, bool, int, float)
# The SDK's limits (OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT, OTEL_SPAN_EVENT_COUNT_LIMIT...), read once.
LIMITS = SpanLimits()


class ChildSpan(ReadableSpan, trace.Span):
    """A child span: the API's Span while it runs, the SDK's ReadableSpan once ended."""

    # ReadableSpan's fields that most spans leave as they start: set on the span when they change.
    _dropped = 0
    _events = ()  # a list once an event is added
    _links = ()
    _status = UNSET
    _instrumentation_info = None
    _end_time = None
    _scrubbed_by = None  # the secrets its name and attributes were scrubbed of
    _record_exception = True
    _set_status_on_exception = True
    # What ends it in each span processor (processor_calls), else the provider's on_end.
    _ending = None

    def __init__(
        self, tracer, scope, name, parent, kind, attributes, record_exception=True,
        set_status_on_exception=True, context=None,
    ):  # fmt: skip
        # ReadableSpan's fields, set directly: its __init__ makes a Resource when given none.
        self._name = name
        self._parent = parent
        if context is None:
            # SpanContext(trace id, span id, False, flags, state), as its __new__ makes it: a
            # tuple with its validity last (the parent's trace id is valid: it records).
            generator = tracer.id_generator
            if generator.__class__ in _RANDOM_SPAN_IDS:  # as its generate_span_id, in one step
                span_id = getrandbits(64) or generator.generate_span_id()
            else:
                span_id = generator.generate_span_id()
            context = tuple.__new__(
                SpanContext,
                (parent[0], span_id, False, parent[3], parent[4], 0 < span_id <= _SPAN_ID_MAX),
            )
        self._context = context
        self._kind = kind
        self._attributes = {}
        self._resource = tracer.resource
        self._instrumentation_scope = scope
        self._processor = tracer.span_processor
        if not record_exception:
            self._record_exception = False
        if not set_status_on_exception:
            self._set_status_on_exception = False
        if attributes:
            self.set_attributes(attributes)
        self._start_time = time.time_ns()

    @property
    def dropped_attributes(self):
        return self._dropped

    def is_recording(self):
        return self._end_time is None

    def set_attribute(self, key, value):
        if self._end_time is not None or not key or key.__class__ is not str:
            return
        if value.__class__ not in _PLAIN:
            value = _clean_attribute_value(value, LIMITS.max_span_attribute_length)
        elif value.__class__ is str and LIMITS.max_span_attribute_length is not None:
            value = value[: LIMITS.max_span_attribute_length]
        held = self._attributes
        if key not in held and len(held) >= LIMITS.max_span_attributes:
            self._dropped += 1
            return
        held[key] = value

    def set_attributes(self, attributes):
        if self._end_time is not None:
            return
        held = self._attributes
        room = LIMITS.max_span_attributes - len(held) - len(attributes)
        for key, value in attributes.items():
            if room >= 0 and value.__class__ in _PLAIN and key.__class__ is str and key:
                if value.__class__ is str and LIMITS.max_span_attribute_length is not None:
                    value = value[: LIMITS.max_span_attribute_length]
                held[key] = value
            else:
                self.set_attribute(key, value)

    def add_event(self, name, attributes=None, timestamp=None):
        if self._end_time is not None:
            return
        if len(self._events) >= LIMITS.max_events:
            return
        if not self._events:
            self._events = []
        if attributes:
            attributes = {
                key: _clean_attribute_value(value, LIMITS.max_attribute_length)
                for key, value in list(attributes.items())[: LIMITS.max_event_attributes]
            }
        self._events.append(Event(name, attributes, timestamp or time.time_ns()))

    def add_link(self, context, attributes=None):
        pass  # only spans started without links are ChildSpans; later links are not kept

    def update_name(self, name):
        if self._end_time is None:
            self._name = name

    def set_status(self, status, description=None):
        if self._end_time is not None or self._status.status_code is StatusCode.OK:
            return
        if not isinstance(status, Status):
            status = Status(status, description)
        if status.status_code is not StatusCode.UNSET:
            self._status = status

    def record_exception(self, exception, attributes=None, timestamp=None, escaped=False):
        """The event the SDK's record_exception adds."""
        kind = type(exception)
        module = kind.__module__
        values = {
            "exception.type": f"{module}.{kind.__qualname__}"
            if module and module != "builtins"
            else kind.__qualname__,
            "exception.message": str(exception),
            "exception.stacktrace": "".join(traceback.format_exception(exception)),
            "exception.escaped": str(escaped),
        }
        self.add_event("exception", {**values, **(attributes or {})}, timestamp)

    def end(self, end_time=None):
        if self._end_time is not None:
            return
        self._end_time = end_time or time.time_ns()
        # Scrubbed once, here: the exports find it clean (scrubbed_by) and take it as it is.
        self._scrubbed_by = process_secrets()
        self._attributes = scrub_attributes(self._attributes)
        self._name = scrub_text(self._name)
        ending = self._ending
        if ending is None:
            self._processor.on_end(self)
            return
        for end in ending:  # the processors' (processor_calls)
            end(self)

    def is_clean(self):
        """Whether it left end() as the scrubbing would leave it: scrubbed of the secrets in
        force, with no exception text or status description to scrub."""
        return self._scrubbed_by is process_secrets() and not self._events and self._status is UNSET

    def __exit__(self, kind, error, traceback):
        """As the SDK's span used as a context manager: the exception and its status recorded
        (as it was asked when started), then ended."""
        if isinstance(error, Exception) and self._end_time is None:
            if self._record_exception:
                self.record_exception(error, escaped=True)
            if self._set_status_on_exception:
                self.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
        self.end()
        return False


class RootSpan(ChildSpan):
    """A span that starts a trace in this process (no parent, or a remote one), sampled: a
    request's server span, made as a ChildSpan is, with the context the sampler decided."""


class LeanTracer(Tracer):
    """The SDK's tracer, whose spans without links or a start time of their own are lean when
    the provider's sampler samples every child of a sampled parent (as RequestSampler says) and
    the SDK's own span metrics are off (the default): a span under a sampled, recording span of
    this process is a ChildSpan, and a sampled span that starts a trace here is a RootSpan."""

    def start_span(
        self, name, context=None, kind=SpanKind.INTERNAL, attributes=None, links=None,
        start_time=None, record_exception=True, set_status_on_exception=True,
    ):  # fmt: skip
        parent_span = current_span(context)
        if (
            links
            or start_time is not None
            or not self.lean_children
            or not self._is_enabled()
            or self._tracer_metrics.__class__ is not NoOpTracerMetrics
        ):
            return self._sdk_span(
                name, context, kind, attributes, links, start_time, record_exception,
                set_status_on_exception,
            )  # fmt: skip
        parent = parent_span.get_span_context()
        if not parent_span.is_recording():
            return self._root_span(
                name, context, kind, attributes, parent, record_exception,
                set_status_on_exception,
            )  # fmt: skip
        if parent.is_remote or not parent.trace_flags.sampled:
            return self._sdk_span(
                name, context, kind, attributes, links, start_time, record_exception,
                set_status_on_exception,
            )  # fmt: skip
        span = ChildSpan(
            self, self._instrumentation_scope, name, parent, kind, attributes,
            record_exception, set_status_on_exception,
        )  # fmt: skip
        return self._started(span, context)

    def _root_span(
        self, name, context, kind, attributes, parent, record_exception, set_status_on_exception
    ):
        """As the SDK's start_span starts a span with no parent, or a remote one: the sampler
        asked once, with the same arguments; a sampled span is a RootSpan, any other what the
        SDK would have made of the same decision."""
        if parent is not None and (
            not isinstance(parent, SpanContext) or (parent.is_valid and not parent.is_remote)
        ):
            # A local parent that does not record (sampled out), or no SpanContext at all (which
            # the SDK refuses): the SDK's way, as it is.
            return self._sdk_span(
                name, context, kind, attributes, None, None, record_exception,
                set_status_on_exception,
            )  # fmt: skip
        if parent is None or not parent.is_valid:
            parent = None
            trace_id = self.id_generator.generate_trace_id()
            random_trace_id = self.id_generator.is_trace_id_random()
        else:
            trace_id = parent.trace_id
            random_trace_id = parent.trace_flags.random_trace_id
        result = self.sampler.should_sample(context, trace_id, name, kind, attributes, ())
        sampled = result.decision.is_sampled()
        flags = TraceFlags.SAMPLED if sampled else TraceFlags.DEFAULT
        if random_trace_id:
            flags |= TraceFlags.RANDOM_TRACE_ID
        span_context = SpanContext(
            trace_id, self.id_generator.generate_span_id(), is_remote=False,
            trace_flags=TraceFlags(flags), trace_state=result.trace_state,
        )  # fmt: skip
        if not result.decision.is_recording():
            return trace.NonRecordingSpan(context=span_context)
        if not sampled:  # recorded, not sampled: the SDK's span, made as its start_span makes it
            span = _Span(
                name=name, context=span_context, parent=parent, sampler=self.sampler,
                resource=self.resource, attributes=result.attributes,
                span_processor=self.span_processor, kind=kind, links=(),
                instrumentation_info=self.instrumentation_info,
                record_exception=record_exception,
                set_status_on_exception=set_status_on_exception, limits=self._span_limits,
                instrumentation_scope=self._instrumentation_scope,
            )  # fmt: skip
            span.start(parent_context=context)
            return span
        span = RootSpan(
            self, self._instrumentation_scope, name, parent, kind, result.attributes,
            record_exception, set_status_on_exception, context=span_context,
        )  # fmt: skip
        return self._started(span, context)

    def _started(self, span, context):
        """`span`, through the processors' on_start, with what will end it in each: the
        provider's processors looked at once, and again only once one is added."""
        processors = getattr(self.span_processor, "_span_processors", None)
        seen, calls = getattr(self, "_processor_calls", (None, None))
        if calls is None or seen is not processors:
            calls = processor_calls(self.span_processor)
            self._processor_calls = processors, calls
        starting, span._ending = calls
        for processor in starting:
            processor.on_start(span, parent_context=context)
        return span

    def start_as_current_span(
        self, name, context=None, kind=SpanKind.INTERNAL, attributes=None, links=None,
        start_time=None, record_exception=True, set_status_on_exception=True, end_on_exit=True,
    ):  # fmt: skip
        """As the SDK's: the span start_span starts, current while the block runs (or a decorated
        function), ended on leaving it, with an exception's event and status as asked."""
        return CurrentSpan(
            self, (name, context, kind, attributes, links, start_time, record_exception,
                   set_status_on_exception), end_on_exit,
        )  # fmt: skip

    def _sdk_span(self, *arguments):
        return super().start_span(*arguments)

    @property
    def lean_children(self):
        return getattr(self.sampler, "samples_children_of_sampled_parents", False)


class CurrentSpan(contextlib.ContextDecorator):
    """What the SDK's start_as_current_span returns, as a class: starts the span on entering
    (each call of a decorated function anew, coroutine functions awaited inside), makes it
    current, and on leaving records an exception as trace.use_span records it, then ends it."""

    def __init__(self, tracer, arguments, end_on_exit):
        self.tracer = tracer
        self.arguments = arguments  # start_span's
        self.end_on_exit = end_on_exit
        self.span = self.token = None

    def _recreate_cm(self):
        return CurrentSpan(self.tracer, self.arguments, self.end_on_exit)

    def __call__(self, func):
        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def traced(*args, **kwargs):
                with self._recreate_cm():
                    return await func(*args, **kwargs)

            return traced
        return super().__call__(func)

    def __enter__(self):
        span = self.span = self.tracer.start_span(*self.arguments)
        self.token = attach(trace.set_span_in_context(span))
        return span

    def __exit__(self, kind, error, traceback):
        span = self.span
        try:
            detach(self.token)
            # As use_span: an Exception (not a BaseException) on a span that records.
            if (
                isinstance(error, Exception)
                and isinstance(span, trace.Span)
                and span.is_recording()
            ):
                if self.arguments[6]:  # record_exception
                    span.record_exception(error)
                if self.arguments[7]:  # set_status_on_exception
                    span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
        finally:
            if self.end_on_exit:
                span.end()
        return False


# Processor methods that do nothing: the SDK's defaults, and its batch processor's.
_NOTHING_ON_START = (SpanProcessor.on_start, BatchSpanProcessor.on_start)
_NOTHING_ON_ENDING = (SpanProcessor._on_ending, BatchSpanProcessor._on_ending)


def processor_calls(span_processor):
    """(the provider's span processors whose on_start does something, the calls that end a lean
    span of a sampled trace in each: its _on_ending where that does something, then what its
    on_end would call). The SDK's batch processor's on_start and _on_ending do nothing and its
    on_end, for a sampled span, hands it to its batch (emit); a processor may name what its on_end
    does with a sampled span (on_end_sampled); any other is called as it is."""
    processors = getattr(span_processor, "_span_processors", None)
    if processors is None:  # not the SDK's multi-processor: it is called as it is
        return (span_processor,), (span_processor._on_ending, span_processor.on_end)
    starting = [p for p in processors if type(p).on_start not in _NOTHING_ON_START]
    ending = [p._on_ending for p in processors if type(p)._on_ending not in _NOTHING_ON_ENDING]
    return starting, ending + [sampled_end(p) for p in processors]


def sampled_end(processor):
    """What ends a span of a sampled trace for `processor`: what its on_end would call."""
    named = getattr(processor, "on_end_sampled", None)
    if named is not None:
        return named
    batch = getattr(processor, "_batch_processor", None)
    if type(processor) is BatchSpanProcessor and hasattr(batch, "emit"):
        return batch.emit
    return processor.on_end


def lean_tracers(provider):
    """Makes every tracer `provider` hands out a LeanTracer (the SDK's Tracer, start_span
    aside); returns the provider."""
    get_tracer = provider.get_tracer

    def lean_get_tracer(*args, **kwargs):
        tracer = get_tracer(*args, **kwargs)
        if type(tracer) is Tracer:
            tracer.__class__ = LeanTracer
        return tracer

    provider.get_tracer = lean_get_tracer
    return provider
