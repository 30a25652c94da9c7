"""Database spans: every query a traced request makes becomes a child span of the request's span,
through OpenTelemetry's instrumentation for the driver that Django's backend uses (sqlite3, or
psycopg 3 under the postgresql backend).

Both instrument the driver's `connect`, which Django calls for each new connection (with its own
cursor classes: psycopg's instrumentation keeps Django's cursor_factory as the base of its traced
cursor), so this runs at start-up, before any connection is opened, once per process.

The instrumentations start a span for every query, also where nothing is traced: `migrate`, other
management commands, a thread of its own. There each would be a trace of its own; here a query
gets a span only under a span that records (a sampled request's), and costs nothing otherwise.
That span is a QuerySpan, a ChildSpan (child_spans.py: the SDK's span, less its generic machinery,
which cost a query more than the whole budget of its span; README, Benchmark). The OTLP encoder
and the X-Ray segment builder write it from its fields, its attributes encoded once per statement.
Statements leave without their literal values (observability.sql, applied by the scrubbing as the
query's span ends); parameters are never captured.
"""

import contextlib
import time

from django.conf import settings
from opentelemetry import trace
from opentelemetry.sdk.trace import _Span
from opentelemetry.trace import SpanKind, Status, StatusCode, TraceFlags
from opentelemetry.trace.propagation import _SPAN_KEY

from observability.correlation import current_context, current_span
from observability.problems import problems
from observability.providers.otel.child_spans import ChildSpan, RootSpan, processor_calls
from observability.scrubbing import process_secrets, scrub_attributes, scrub_text

# Django's backend engine -> the instrumentor of its driver, imported only when a database uses it.
INSTRUMENTORS = {
    "django.db.backends.sqlite3": (
        "observability.providers.otel.sqlite", "SQLiteInstrumentor",
    ),
    "django.db.backends.postgresql": (
        "opentelemetry.instrumentation.psycopg", "PsycopgInstrumentor",
    ),
}  # fmt: skip
_NOT_RECORDED = contextlib.nullcontext(trace.INVALID_SPAN)
# (the secrets they were scrubbed of, {(name, *attribute items): (clean name, clean attributes)}):
# a query's span scrubbed once per statement; emptied when the secrets change or it is full.
MAX_SCRUBBED = 1024
_scrubbed = (None, {})
SAMPLED = int(TraceFlags.SAMPLED)
_LOCAL_SPANS = (_Span, ChildSpan, RootSpan)  # completed with QuerySpan below


class QuerySpan(ChildSpan):
    """A query's span (kind client). It is started only under a sampled, recording span
    (ChildSpanTracer), and never made the current span: nothing inside a query starts a span
    under it, and the context's attach and detach were a sixth of what a query's span cost.
    Ended on leaving its `with` block, with the exception and status the SDK's context manager
    records. Its statement, one of a few, lets its OTLP attributes and X-Ray fields be made once
    per statement (encoding.query_span, SegmentBuilder.query_subsegment)."""

    context = None  # its SpanContext, an attribute (set as it starts) where the SDK's is a property
    _ending = None  # what ends it in each span processor, else the provider's on_end
    # Its statement as its connection keeps it (sqlite.Statement), where its name and attributes
    # are that statement's, as the instrumentation set them: their clean forms are kept there.
    _statement = None

    def end(self, end_time=None):
        """As ChildSpan.end, the name and attributes scrubbed once per statement: the same
        few come back with every request (as the scrubbing's own caches assume)."""
        global _scrubbed
        if self._end_time is not None:
            return
        self._end_time = end_time or time.time_ns()
        secrets = process_secrets()
        statement = self._statement
        scrubbed = statement.scrubbed if statement is not None else None
        if scrubbed is not None and scrubbed[0] is secrets:  # its statement's, as last scrubbed
            clean = scrubbed[1]
        else:
            held_by, kept = _scrubbed
            try:
                key = (self._name, *self._attributes.items())
                clean = kept.get(key) if held_by is secrets else None
            except TypeError:  # a value that cannot be hashed (a list): scrubbed, not kept
                key = clean = None
            if clean is None:
                clean = scrub_text(self._name), dict(scrub_attributes(self._attributes))
                if key is not None:
                    if held_by is not secrets or len(kept) >= MAX_SCRUBBED:
                        _scrubbed = secrets, kept = secrets, {}
                    kept[key] = clean
            if statement is not None:
                statement.scrubbed = secrets, clean
        # Ended, it is read and never written: spans of one statement share its clean dict.
        self._name, self._attributes = clean
        self._scrubbed_by = secrets
        if self._ending is None:
            self._processor.on_end(self)
            return
        for end in self._ending:  # the processors' ends (ChildSpanTracer.processors)
            end(self)

    def __exit__(self, kind, error, traceback):
        """As use_span, which the SDK's start_as_current_span ends its span with."""
        if isinstance(error, Exception):
            self.record_exception(error)
            self.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
        self.end()
        return False


_LOCAL_SPANS += (QuerySpan,)


class ChildSpanTracer(trace.Tracer):
    """A tracer that starts spans only under a recording span, and else hands out the invalid
    span (which records nothing and leaves the context as it is); a query's span is a QuerySpan."""

    def __init__(self, tracer, scope):
        self.tracer = tracer
        self.scope = scope  # the instrumentation's, as the SDK's tracer holds it
        self._processors = (self, None)  # (the provider's processors, processors()): none yet

    def start_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).is_recording():
            return trace.INVALID_SPAN
        return self.tracer.start_span(name, context, *args, **kwargs)

    def start_as_current_span(self, name, context=None, kind=SpanKind.INTERNAL, attributes=None):
        """The span of one query (the instrumentations' only use of it): a QuerySpan."""
        parent = (context if context is not None else current_context()).get(_SPAN_KEY)
        if parent.__class__ not in _LOCAL_SPANS:
            parent = current_span(context)
        if parent.__class__ in _LOCAL_SPANS:  # the SDK's span, or a ChildSpan: read directly
            if parent._end_time is not None:
                return _NOT_RECORDED
            parent = parent._context
        else:
            if not parent.is_recording():
                return _NOT_RECORDED
            parent = parent.get_span_context()
        if not parent[3] & SAMPLED:  # a SpanContext: (trace id, span id, remote, flags...)
            return _NOT_RECORDED
        span = QuerySpan(self.tracer, self.scope, name, parent, kind, attributes)
        span.context = span._context
        seen, lists = self._processors
        if seen is not getattr(self.tracer.span_processor, "_span_processors", None):
            lists = self.processors()
        starting, span._ending = lists
        for processor in starting:
            processor.on_start(span, parent_context=context)
        return span

    def processors(self):
        """(the provider's span processors whose on_start does something, the calls that end a
        span of a sampled trace), kept until a processor is added (child_spans.processor_calls)."""
        processors = getattr(self.tracer.span_processor, "_span_processors", None)
        lists = processor_calls(self.tracer.span_processor)
        self._processors = processors, lists
        return lists


class ChildSpanTracerProvider(trace.TracerProvider):
    """The process's tracer provider, as the database instrumentations get their tracers from:
    each tracer starts child spans only (ChildSpanTracer)."""

    def __init__(self, provider):
        self.provider = provider

    def get_tracer(self, name, version=None, schema_url=None, attributes=None):
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        return ChildSpanTracer(
            self.provider.get_tracer(name, version, schema_url, attributes),
            InstrumentationScope(name, version, schema_url, attributes),
        )


def driver_instrumentors():
    """The instrumentors of the drivers that settings.DATABASES use, each once."""
    from importlib import import_module

    engines = {database.get("ENGINE") for database in settings.DATABASES.values()}
    found = []
    for engine in sorted(engines & INSTRUMENTORS.keys()):
        module, name = INSTRUMENTORS[engine]
        found.append(getattr(import_module(module), name)())
    return found


def instrument_databases(provider):
    """Instruments the drivers in use, once per process (an instrumentor is a singleton that
    knows whether it has run: a forked worker inherits its parent's patched driver). A driver
    that cannot be instrumented leaves the rest of the tracing working, and says so once."""
    try:
        for instrumentor in driver_instrumentors():
            if not instrumentor.is_instrumented_by_opentelemetry:
                instrumentor.instrument(tracer_provider=ChildSpanTracerProvider(provider))
    except Exception:
        problems.warn(
            ("otel", "databases"), "observability: no database spans: a driver could not be "
            "instrumented", exc_info=True,
        )  # fmt: skip
