"""Database spans: every query a traced request makes becomes a child span of the request's span,
through OpenTelemetry's instrumentation for the driver that Django's backend uses (sqlite3, or
psycopg 3 under the postgresql backend).

Both instrument the driver's `connect`, which Django calls for each new connection (with its own
cursor classes: psycopg's instrumentation keeps Django's cursor_factory as the base of its traced
cursor), so this runs at start-up, before any connection is opened, once per process.

The instrumentations start a span for every query, also where nothing is traced: `migrate`, other
management commands, a thread of its own. There each would be a trace of its own; here a query
gets a span only under a span that records (a sampled request's), and costs nothing otherwise.
That span is a QuerySpan: the SDK's span, less its generic machinery, which cost a query more than
the whole budget of its span (README, Benchmark). The OTLP encoder and the X-Ray segment builder
write it from its fields, its attributes encoded once per statement. Statements leave without
their literal values (observability.sql, applied by the scrubbing as the query's span ends);
parameters are never captured.
"""

import contextlib
import time
import traceback

from django.conf import settings
from opentelemetry import trace
from opentelemetry.attributes import _clean_attribute_value
from opentelemetry.sdk.trace import Event, ReadableSpan
from opentelemetry.trace import SpanContext, SpanKind, Status, StatusCode

from observability.problems import problems
from observability.scrubbing import process_secrets, scrub_attributes, scrub_text

# Django's backend engine -> the instrumentor of its driver, imported only when a database uses it.
INSTRUMENTORS = {
    "django.db.backends.sqlite3": (
        "opentelemetry.instrumentation.sqlite3", "SQLite3Instrumentor",
    ),
    "django.db.backends.postgresql": (
        "opentelemetry.instrumentation.psycopg", "PsycopgInstrumentor",
    ),
}  # fmt: skip
_NOT_RECORDED = contextlib.nullcontext(trace.INVALID_SPAN)
UNSET = Status(StatusCode.UNSET)  # a query's status until one is set, as the SDK's default
_PLAIN = (str, bool, int, float)


class QuerySpan(ReadableSpan, trace.Span):
    """A query's span: what the SDK's span would record and export, made without its generic
    machinery, which cost a query more than the budget of all of them.

    It is started only under a sampled, recording span (ChildSpanTracer), so it takes its
    parent's sampling decision, as the ParentBased samplers in use would; it goes through the
    tracer provider's span processors like any span (on_start, on_end), and is its own finished
    ReadableSpan. It is never made the current span: nothing inside a query starts a span under
    it, and the context's attach and detach were a sixth of what a query's span cost. Ended on
    leaving its `with` block, with the exception and status the SDK's context manager records."""

    def __init__(self, tracer, scope, name, parent, kind, attributes):
        # ReadableSpan's fields, set directly: its __init__ makes a Resource when given none.
        self._name = name
        self._parent = parent
        self._context = SpanContext(
            parent.trace_id, tracer.id_generator.generate_span_id(), False,
            parent.trace_flags, parent.trace_state,
        )  # fmt: skip
        self._kind = kind
        self._attributes = {}
        self._events = []
        self._links = ()
        self._status = UNSET
        self._resource = tracer.resource
        self._instrumentation_scope = scope
        self._instrumentation_info = None
        self._end_time = None
        self._scrubbed_by = None  # the secrets its name and attributes were scrubbed of
        self._processor = tracer.span_processor
        if attributes:
            self.set_attributes(attributes)
        self._start_time = time.time_ns()

    # The API's Span, as the instrumentations use it.
    def is_recording(self):
        return self._end_time is None

    def set_attribute(self, key, value):
        if self._end_time is not None or not key or key.__class__ is not str:
            return
        if value.__class__ not in _PLAIN:
            value = _clean_attribute_value(value, None)
        self._attributes[key] = value

    def set_attributes(self, attributes):
        if self._end_time is not None:
            return
        held = self._attributes
        for key, value in attributes.items():
            if value.__class__ in _PLAIN and key.__class__ is str and key:
                held[key] = value
            else:
                self.set_attribute(key, value)

    def add_event(self, name, attributes=None, timestamp=None):
        if self._end_time is None:
            self._events.append(Event(name, attributes, timestamp or time.time_ns()))

    def add_link(self, context, attributes=None):
        pass  # a query's span has no links

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
        self._processor.on_end(self)

    def is_clean(self):
        """Whether it left end() as the scrubbing would leave it: scrubbed of the secrets in
        force, with no exception text or status description to scrub."""
        return self._scrubbed_by is process_secrets() and not self._events and self._status is UNSET

    def __enter__(self):
        return self

    def __exit__(self, kind, error, traceback):
        if isinstance(error, Exception):
            self.record_exception(error)
            self.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
        self.end()
        return False


class ChildSpanTracer(trace.Tracer):
    """A tracer that starts spans only under a recording span, and else hands out the invalid
    span (which records nothing and leaves the context as it is); a query's span is a QuerySpan."""

    def __init__(self, tracer, scope):
        self.tracer = tracer
        self.scope = scope  # the instrumentation's, as the SDK's tracer holds it

    def start_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).is_recording():
            return trace.INVALID_SPAN
        return self.tracer.start_span(name, context, *args, **kwargs)

    def start_as_current_span(self, name, context=None, kind=SpanKind.INTERNAL, attributes=None):
        """The span of one query (the instrumentations' only use of it): a QuerySpan."""
        parent = trace.get_current_span(context)
        if not parent.is_recording():
            return _NOT_RECORDED
        parent = parent.get_span_context()
        if not parent.trace_flags.sampled:
            return _NOT_RECORDED
        span = QuerySpan(self.tracer, self.scope, name, parent, kind, attributes)
        self.tracer.span_processor.on_start(span, parent_context=context)
        return span


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
