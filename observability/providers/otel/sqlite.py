"""OpenTelemetry's sqlite3 instrumentation (SQLite3Instrumentor), through its own extension point
(dbapi.wrap_connect's db_api_integration_factory), with the per-query work it repeats done once.

The instrumentation wraps `sqlite3.connect`; each connection is a TracedConnectionProxy, each
cursor a TracedCursorProxy with a CursorTracer of its own, whose traced_execution starts the
query's span. Three of its steps are repeated for every query (README, Benchmark) for an answer
that does not change:
- the operation name (`SELECT`, the span's name): the whole statement split into words to take
  the first; Django sends the same few statements again and again, so each one's is kept;
- a CursorTracer made for every cursor (Django opens one per query), holding nothing but its
  connection's settings: here a connection's cursors share one;
- the span's attributes (system, database, statement, the connection's user and host), which
  depend on the statement and the connection alone (parameters are never captured): the
  instrumentation's _populate_span makes them once per statement and connection, and each query
  of it gets a copy.
And the connection proxy reads its attributes as wrapt's proxy does, in C: the instrumentation's
proxy reads every one, its cursor method too, through a __getattribute__ written in Python.
Where a query runs as the database spans run it (a ChildSpanTracer; no sql comments, parameters
or database metrics), the cursor's execute runs traced_execution's steps itself (about half the
Python calls a query made); anywhere else, and for executemany and callproc, the
instrumentation's own traced_execution runs.
The spans, their names and attributes, what is traced and what is not, are the instrumentation's:
_populate_span, get_operation_name and the proxies are its own code, and the tests compare the
spans with what the unmodified instrumentation records.
"""

from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from opentelemetry.instrumentation import dbapi
from opentelemetry.instrumentation import sqlite3 as sqlite3_instrumentation
from opentelemetry.instrumentation._semconv import _report_new
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor
from opentelemetry.instrumentation.utils import _SUPPRESS_INSTRUMENTATION_KEY_PLAIN as SUPPRESSED
from opentelemetry.trace import SpanKind

from observability.correlation import current_context
from observability.providers.otel.child_spans import _PLAIN as PLAIN
from observability.providers.otel.child_spans import LIMITS
from observability.providers.otel.databases import _NOT_RECORDED, ChildSpanTracer, QuerySpan

# Distinct statements whose operation name (and a connection's, whose attributes) are kept;
# emptied when full, then filled again.
MAX_STATEMENTS = 1024
_operations = {}


def within_limits(attributes):
    """Whether a ChildSpan's set_attributes would keep `attributes` as they are: plain values
    under str keys, fewer than the span's limit, and no limit to a value's length."""
    return (
        LIMITS.max_span_attribute_length is None
        and len(attributes) <= LIMITS.max_span_attributes
        and all(
            key.__class__ is str and key and value.__class__ in PLAIN
            for key, value in attributes.items()
        )
    )


class Attributes:
    """Stands for a span while the instrumentation's _populate_span sets its attributes."""

    def __init__(self):
        self.values = {}

    def is_recording(self):
        return True

    def set_attributes(self, attributes):
        self.values.update(attributes)

    def set_attribute(self, key, value):
        self.values[key] = value


class Statement:
    """What a connection keeps of a statement: its spans' attributes (as _populate_span sets
    them), whether a ChildSpan would keep them as they are, and what its spans were last made
    into, each with what it was made from, so that the next span of it finds them at once:
    (the secrets, the clean name and attributes) as they ended (QuerySpan.end); their OTLP
    bytes (encoding.query_span) and X-Ray fields (SegmentBuilder.query_subsegment)."""

    __slots__ = ("attributes", "encoded", "plain", "scrubbed", "subsegment")

    def __init__(self, attributes):
        self.attributes = attributes
        self.plain = within_limits(attributes)
        self.scrubbed = self.encoded = self.subsegment = None


class StatementCursorTracer(dbapi.CursorTracer):
    """The instrumentation's CursorTracer, naming each statement's operation once, and making
    its span's attributes once per statement (on its connection)."""

    def __init__(self, integration):
        super().__init__(integration)
        self.attributes = {}  # statement -> its Statement
        # Whether a query runs as the database spans run it: its tracer a ChildSpanTracer
        # (whose span for a query is a QuerySpan, or none), no sql comments, no parameters,
        # and no database metrics (recorded only under the new semantic conventions).
        self.lean = (
            integration._tracer.__class__ is ChildSpanTracer
            and not self._commenter_enabled
            and not integration.capture_parameters
            and not _report_new(integration._sem_conv_opt_in_mode_db)
        )

    def get_operation_name(self, cursor, args):
        global _operations
        statement = args[0] if args else None
        if statement.__class__ is not str:
            return super().get_operation_name(cursor, args)
        name = _operations.get(statement)
        if name is None:
            name = super().get_operation_name(cursor, args)
            if len(_operations) >= MAX_STATEMENTS:
                _operations = {}
            _operations[statement] = name
        return name

    def _populate_span(self, span, cursor, *args):
        statement = args[0] if args else None
        if self._db_api_integration.capture_parameters or statement.__class__ is not str:
            return super()._populate_span(span, cursor, *args)
        # Called (by SharedTracerCursor.execute, or traced_execution) for a span that records.
        kept = self.attributes.get(statement)
        if kept is None:
            made = Attributes()
            super()._populate_span(made, cursor, *args)
            kept = Statement(made.values)
            if len(self.attributes) >= MAX_STATEMENTS:
                self.attributes = {}
            self.attributes[statement] = kept
        if kept.plain and span.__class__ is QuerySpan and not span._attributes:
            span._attributes = kept.attributes.copy()  # what its set_attributes would hold
            span._statement = kept
        else:
            span.set_attributes(kept.attributes)
        return None


class SharedTracerCursor(dbapi.TracedCursorProxy):
    """The instrumentation's cursor proxy, with its connection's CursorTracer: a subclass made
    for each connection holds it (StatementIntegration.cursor_class), so a cursor is made by
    wrapt's own __init__, written in C."""

    __init__ = dbapi.BaseObjectProxy.__init__
    _self_cursor_tracer = None

    def execute(self, *args, **kwargs):
        """The instrumentation's execute (its CursorTracer's traced_execution of the cursor's
        execute), its steps inline, in this one call, where the query runs as the database
        spans run it (the tracer's `lean`: only the span to start, fill and end); otherwise as
        it is. executemany and callproc are the instrumentation's own."""
        tracer = self._self_cursor_tracer
        cursor = self.__wrapped__
        statement = args[0] if args else None
        if not tracer.lean or statement.__class__ is not str:
            return tracer.traced_execution(cursor, cursor.execute, *args, **kwargs)
        context = current_context()  # as is_instrumentation_enabled() reads it
        if context.get(_SUPPRESS_INSTRUMENTATION_KEY) or context.get(SUPPRESSED):
            return cursor.execute(*args, **kwargs)
        integration = tracer._db_api_integration
        name = _operations.get(statement)
        if name is None:
            name = tracer.get_operation_name(cursor, args)
        span = integration._tracer.start_as_current_span(
            name or integration.database or integration.name, kind=SpanKind.CLIENT
        )
        if span is _NOT_RECORDED:  # no span: the instrumentation's would not record
            return cursor.execute(*args, **kwargs)
        kept = tracer.attributes.get(statement)
        if kept is not None and kept.plain and not span._attributes:
            span._attributes = kept.attributes.copy()  # what _populate_span would set
            span._statement = kept  # where its end finds its clean name and attributes
        else:
            tracer._populate_span(span, cursor, *args)
        try:
            result = cursor.execute(*args, **kwargs)
        except BaseException as error:  # as leaving the instrumentation's `with` block
            span.__exit__(error.__class__, error, error.__traceback__)
            raise
        span.end()
        return result


class SharedTracerConnection(dbapi.TracedConnectionProxy):
    """The instrumentation's connection proxy, whose cursors share one CursorTracer, and whose
    attributes are read by wrapt's proxy itself."""

    __getattribute__ = dbapi.BaseObjectProxy.__getattribute__

    def cursor(self, *args, **kwargs):
        return self._self_db_api_integration.cursor_class(self.__wrapped__.cursor(*args, **kwargs))


class StatementIntegration(dbapi.DatabaseApiIntegration):
    """The instrumentation's integration (one per connection), its connection a
    SharedTracerConnection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracer = StatementCursorTracer(self)
        self.cursor_class = type(
            "SharedTracerCursor", (SharedTracerCursor,), {"_self_cursor_tracer": self.tracer}
        )

    def wrapped_connection(self, connect_method, args, kwargs):
        connection = connect_method(*args, **kwargs)
        self.get_connection_attributes(connection)
        return SharedTracerConnection(connection, self)


class SQLiteInstrumentor(SQLite3Instrumentor):
    """SQLite3Instrumentor, wrapping the same `connect`s with the same arguments, its
    integration a StatementIntegration."""

    _instance = None  # a singleton of its own, not SQLite3Instrumentor's

    def _instrument(self, **kwargs):
        for module in self._TO_WRAP:
            dbapi.wrap_connect(
                sqlite3_instrumentation.__name__,
                module,
                "connect",
                sqlite3_instrumentation._DATABASE_SYSTEM,
                sqlite3_instrumentation._CONNECTION_ATTRIBUTES,
                version=sqlite3_instrumentation.__version__,
                tracer_provider=kwargs.get("tracer_provider"),
                db_api_integration_factory=StatementIntegration,
            )
