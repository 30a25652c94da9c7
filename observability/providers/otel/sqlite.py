"""OpenTelemetry's sqlite3 instrumentation (SQLite3Instrumentor), through its own extension point
(dbapi.wrap_connect's db_api_integration_factory), with the per-query work it repeats done once.

The instrumentation wraps `sqlite3.connect`; each connection is a TracedConnectionProxy, each
cursor a TracedCursorProxy with a CursorTracer of its own, whose traced_execution starts the
query's span. Two of its steps cost a query more than the rest of its span together (README,
Benchmark), for an answer that does not change:
- the operation name (`SELECT`, the span's name): the whole statement split into words to take
  the first; Django sends the same few statements again and again, so each one's is kept;
- a CursorTracer made for every cursor (Django opens one per query), holding nothing but its
  connection's settings: here a connection's cursors share one.
The spans, their names and attributes, what is traced and what is not, are the instrumentation's:
traced_execution, _populate_span and the proxies are its own code, and the tests compare the
spans with what the unmodified instrumentation records.
"""

from opentelemetry.instrumentation import dbapi
from opentelemetry.instrumentation import sqlite3 as sqlite3_instrumentation
from opentelemetry.instrumentation.sqlite3 import SQLite3Instrumentor

# Distinct statements whose operation name is kept; emptied when full, then filled again.
MAX_STATEMENTS = 1024
_operations = {}


class StatementCursorTracer(dbapi.CursorTracer):
    """The instrumentation's CursorTracer, naming each statement's operation once."""

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


class SharedTracerCursor(dbapi.TracedCursorProxy):
    """The instrumentation's cursor proxy, with its connection's CursorTracer."""

    def __init__(self, cursor, cursor_tracer):
        dbapi.ObjectProxy.__init__(self, cursor)
        self._self_cursor_tracer = cursor_tracer


class SharedTracerConnection(dbapi.TracedConnectionProxy):
    """The instrumentation's connection proxy, whose cursors share one CursorTracer."""

    def cursor(self, *args, **kwargs):
        integration = self._self_db_api_integration
        return SharedTracerCursor(self.__wrapped__.cursor(*args, **kwargs), integration.tracer)


class StatementIntegration(dbapi.DatabaseApiIntegration):
    """The instrumentation's integration (one per connection), its connection a
    SharedTracerConnection."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.tracer = StatementCursorTracer(self)

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
