"""Database spans: every query a traced request makes becomes a child span of the request's span,
through OpenTelemetry's instrumentation for the driver that Django's backend uses (sqlite3, or
psycopg 3 under the postgresql backend).

Both instrument the driver's `connect`, which Django calls for each new connection (with its own
cursor classes: psycopg's instrumentation keeps Django's cursor_factory as the base of its traced
cursor), so this runs at start-up, before any connection is opened, once per process.

The instrumentations start a span for every query, also where nothing is traced: `migrate`, other
management commands, a thread of its own. There each would be a trace of its own; here a query
gets a span only under a span that records (a sampled request's), and costs nothing otherwise.
Statements leave without their literal values (observability.sql, applied where spans are
exported); parameters are never captured.
"""

import contextlib

from django.conf import settings
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from observability.problems import problems

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


class QuerySpan:
    """A query's span for the length of the query, as start_as_current_span's would be (ended on
    exit, an exception recorded with the status the SDK gives it), but not made the current span:
    nothing inside a query starts a span under it, and the context's attach and detach were a
    sixth of what a query's span cost."""

    __slots__ = ("span",)

    def __init__(self, span):
        self.span = span

    def __enter__(self):
        return self.span

    def __exit__(self, kind, error, traceback):
        if isinstance(error, Exception):
            self.span.record_exception(error)
            self.span.set_status(Status(StatusCode.ERROR, f"{kind.__name__}: {error}"))
        self.span.end()
        return False


class ChildSpanTracer(trace.Tracer):
    """A tracer that starts spans only under a recording span, and else hands out the invalid
    span (which records nothing and leaves the context as it is)."""

    def __init__(self, tracer):
        self.tracer = tracer

    def start_span(self, name, context=None, *args, **kwargs):
        if not trace.get_current_span(context).is_recording():
            return trace.INVALID_SPAN
        return self.tracer.start_span(name, context, *args, **kwargs)

    def start_as_current_span(self, name, context=None, kind=SpanKind.INTERNAL, attributes=None):
        """The span of one query (the instrumentations' only use of it): a QuerySpan."""
        if not trace.get_current_span(context).is_recording():
            return _NOT_RECORDED
        return QuerySpan(self.tracer.start_span(name, context, kind, attributes))


class ChildSpanTracerProvider(trace.TracerProvider):
    """The process's tracer provider, as the database instrumentations get their tracers from:
    each tracer starts child spans only (ChildSpanTracer)."""

    def __init__(self, provider):
        self.provider = provider

    def get_tracer(self, *args, **kwargs):
        return ChildSpanTracer(self.provider.get_tracer(*args, **kwargs))


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
