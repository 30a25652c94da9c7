"""The sqlite3 instrumentation as the database spans use it (observability.providers.otel.sqlite):
what each query records is what OpenTelemetry's unmodified instrumentation records, statement by
statement, though the operation names are kept and a connection's cursors share one tracer."""

import contextlib
import sqlite3

import pytest
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY, attach, detach, set_value
from opentelemetry.instrumentation import dbapi
from opentelemetry.instrumentation import sqlite3 as sqlite3_instrumentation
from opentelemetry.trace import SpanKind

from observability.providers.otel import sqlite
from observability.providers.otel.databases import ChildSpanTracerProvider, QuerySpan
from observability.scrubbing import scrub_attributes

STATEMENTS = [
    ("CREATE TABLE t (a INTEGER, b TEXT)",),
    ("INSERT INTO t VALUES (?, ?)", (1, "one")),
    ("/* a leading comment */ SELECT a, b FROM t WHERE a = ?", (1,)),
    ("  \n\tselect count(*) from t",),
    ("SELECT a FROM t WHERE b = 'x'",),
    ("SELECT a FROM t WHERE b = 'x'",),  # again: its name comes from the kept one
    ("SELECT * FROM missing",),  # fails: the span records the error
    ("",),  # no operation: the span is named by the database (or its system)
]


NAMES = (sqlite3_instrumentation.__name__, sqlite3_instrumentation._DATABASE_SYSTEM)


def integration(factory, provider):
    return factory(
        sqlite3_instrumentation.__name__, sqlite3_instrumentation._DATABASE_SYSTEM,
        connection_attributes=sqlite3_instrumentation._CONNECTION_ATTRIBUTES,
        version=sqlite3_instrumentation.__version__, tracer_provider=provider,
    )  # fmt: skip


def recorded(factory, provider, spans, queries_provider=None):
    """What each statement's span records, through a connection of `factory`'s integration
    whose tracer comes from `queries_provider` (else `provider`)."""
    connection = integration(factory, queries_provider or provider).wrapped_connection(
        sqlite3.connect, (":memory:",), {}
    )
    tracer = provider.get_tracer("request")
    with tracer.start_as_current_span("request", kind=SpanKind.SERVER):
        for statement in STATEMENTS:
            with contextlib.suppress(sqlite3.OperationalError):
                connection.cursor().execute(*statement)
        connection.cursor().executemany("INSERT INTO t VALUES (?, ?)", [(2, "b"), (3, "c")])
    connection.close()
    return [recorded_by(span) for span in spans if span.kind is SpanKind.CLIENT]


def recorded_by(span):
    return (
        span.name, span.kind, dict(span.attributes), span.status.status_code,
        span.status.description, [event.name for event in span.events],
        span.instrumentation_scope.name,
    )  # fmt: skip


@pytest.fixture
def fresh_names(monkeypatch):
    monkeypatch.setattr(sqlite, "_operations", {})


def test_each_query_records_what_the_instrumentation_records(finished_spans, fresh_names):
    provider, spans = finished_spans
    theirs = recorded(dbapi.DatabaseApiIntegration, provider, spans)
    spans.clear()
    ours = recorded(sqlite.StatementIntegration, provider, spans)
    assert ours == theirs
    spans.clear()
    # As the database spans run: each query's span a QuerySpan (databases.ChildSpanTracer).
    queries = recorded(
        sqlite.StatementIntegration, provider, spans, ChildSpanTracerProvider(provider)
    )
    assert {type(span).__name__ for span in spans if span.kind is SpanKind.CLIENT} == {"QuerySpan"}
    # ...scrubbed as they end: statements without their comments and literal values.
    assert queries == [
        (name, kind, dict(scrub_attributes(attributes)), *rest)
        for name, kind, attributes, *rest in theirs
    ]
    assert queries[2][2]["db.statement"] == "  SELECT a, b FROM t WHERE a = ?"
    assert [name for name, *_ in ours] == [
        "CREATE", "INSERT", "SELECT", "select", "SELECT", "SELECT", "SELECT", "sqlite",
        "INSERT",
    ]  # fmt: skip


def test_a_statement_is_named_once_and_a_connections_cursors_share_a_tracer(
    finished_spans, fresh_names
):
    provider, _ = finished_spans
    connection = integration(sqlite.StatementIntegration, provider).wrapped_connection(
        sqlite3.connect, (":memory:",), {}
    )
    first, second = connection.cursor(), connection.cursor()
    assert first._self_cursor_tracer is second._self_cursor_tracer
    first.execute("SELECT 1")
    second.execute("SELECT 1")
    assert sqlite._operations == {"SELECT 1": "SELECT"}
    connection.close()


def test_the_kept_names_are_emptied_when_full(finished_spans, fresh_names, monkeypatch):
    monkeypatch.setattr(sqlite, "MAX_STATEMENTS", 2)
    provider, spans = finished_spans
    connection = integration(sqlite.StatementIntegration, provider).wrapped_connection(
        sqlite3.connect, (":memory:",), {}
    )
    with provider.get_tracer("request").start_as_current_span("request"):
        for statement in ("SELECT 1", "SELECT 2", "VALUES (3)", "SELECT 4"):
            connection.cursor().execute(statement)
    assert sqlite._operations == {"VALUES (3)": "VALUES", "SELECT 4": "SELECT"}
    assert [span.name for span in spans][:4] == ["SELECT", "SELECT", "VALUES", "SELECT"]
    connection.close()


def test_the_instrumentor_is_a_singleton_of_its_own():
    assert sqlite.SQLiteInstrumentor() is sqlite.SQLiteInstrumentor()
    assert sqlite.SQLiteInstrumentor() is not sqlite3_instrumentation.SQLite3Instrumentor()


def client_spans(spans):
    return [span for span in spans if span.kind is SpanKind.CLIENT]


@pytest.mark.parametrize("key", ["suppress_instrumentation", _SUPPRESS_INSTRUMENTATION_KEY])
def test_suppressed_instrumentation_traces_no_query_as_the_instrumentations(finished_spans, key):
    provider, spans = finished_spans
    queries = ChildSpanTracerProvider(provider)
    for factory, tracers in [
        (dbapi.DatabaseApiIntegration, provider),
        (sqlite.StatementIntegration, queries),
    ]:
        connection = integration(factory, tracers).wrapped_connection(
            sqlite3.connect, (":memory:",), {}
        )
        with provider.get_tracer("request").start_as_current_span("request"):
            token = attach(set_value(key, True))
            try:
                assert connection.cursor().execute("SELECT 1").fetchall() == [(1,)]
            finally:
                detach(token)
            connection.cursor().execute("SELECT 2")
        connection.close()
        assert [span.name for span in client_spans(spans)] == ["SELECT"]
        spans.clear()


def test_a_query_outside_a_recording_span_runs_without_one(finished_spans):
    provider, spans = finished_spans
    connection = integration(
        sqlite.StatementIntegration, ChildSpanTracerProvider(provider)
    ).wrapped_connection(sqlite3.connect, (":memory:",), {})
    assert connection.cursor().execute("SELECT 1").fetchall() == [(1,)]
    with provider.get_tracer("request").start_as_current_span("request"):
        assert connection.cursor().execute("SELECT 2").fetchall() == [(2,)]
    with pytest.raises(sqlite3.OperationalError):
        connection.cursor().execute("SELECT * FROM missing")
    connection.close()
    assert [type(span) for span in client_spans(spans)] == [QuerySpan]


def test_comments_or_database_metrics_leave_the_instrumentations_path(finished_spans):
    provider, spans = finished_spans
    queries = ChildSpanTracerProvider(provider)
    assert sqlite.StatementIntegration(*NAMES, tracer_provider=queries).tracer.lean
    assert not sqlite.StatementIntegration(*NAMES, tracer_provider=provider).tracer.lean
    commented = sqlite.StatementIntegration(*NAMES, tracer_provider=queries, enable_commenter=True)
    assert not commented.tracer.lean
    connection = commented.wrapped_connection(sqlite3.connect, (":memory:",), {})
    with provider.get_tracer("request").start_as_current_span("request"):
        connection.cursor().execute("SELECT 1")
    connection.close()
    assert [span.name for span in client_spans(spans)] == ["SELECT"]


def test_what_is_kept_per_statement_is_made_again_when_the_secrets_change(
    finished_spans, fresh_names, settings
):
    """A statement's spans end with its kept clean name and attributes, and the OTLP bytes and
    X-Ray fields made of them are kept with it (sqlite.Statement): each is made again once the
    process's secrets change, so a secret that became one never leaves in them."""
    from observability.providers.otel.encoding import query_span
    from observability.providers.xray.segments import SegmentBuilder

    secret = "a-secret-that-became-one"
    statement = f'SELECT ? AS "{secret}"'  # a quoted identifier: not a literal, it stays
    provider, spans = finished_spans
    connection = integration(
        sqlite.StatementIntegration, ChildSpanTracerProvider(provider)
    ).wrapped_connection(sqlite3.connect, (":memory:",), {})
    builder = SegmentBuilder("svc")

    def made():
        with provider.get_tracer("request").start_as_current_span("request"):
            connection.cursor().execute(statement, (1,))
        query = spans[-2]
        assert query.__class__ is QuerySpan
        return (
            query.attributes["db.statement"], query_span(query),
            builder.query_subsegment(query, "1-0-0")["sql"]["sanitized_query"],
        )  # fmt: skip

    for statement_text, encoded, sanitized in (made(), made()):
        assert statement_text == sanitized == statement
        assert secret.encode() in encoded
    [kept] = connection._self_db_api_integration.tracer.attributes.values()
    assert kept.scrubbed  # the second span took what the first made
    assert kept.encoded
    assert kept.subsegment
    settings.SECRET_KEY = secret
    scrubbed = statement.replace(secret, "[REDACTED]")
    for statement_text, encoded, sanitized in (made(), made()):
        assert statement_text == sanitized == scrubbed
        assert secret.encode() not in encoded
        assert scrubbed.encode() in encoded
    connection.close()


def test_a_query_span_ended_before_the_secrets_changed_is_built_for_x_ray_under_the_new_ones(
    finished_spans, fresh_names, settings
):
    """X-Ray's fields kept with a statement hold for the secrets they were made under: a span
    that ended before the secrets changed, built after, is scrubbed of the new ones."""
    from observability.providers.xray.segments import SegmentBuilder

    secret = "a-secret-that-became-one"
    statement = f'SELECT ? AS "{secret}"'
    provider, spans = finished_spans
    connection = integration(
        sqlite.StatementIntegration, ChildSpanTracerProvider(provider)
    ).wrapped_connection(sqlite3.connect, (":memory:",), {})
    with provider.get_tracer("request").start_as_current_span("request"):
        for _ in range(2):
            connection.cursor().execute(statement, (1,))
    first, second = [span for span in spans if span.__class__ is QuerySpan]
    assert first._attributes is second._attributes  # both ended with their statement's clean ones
    builder = SegmentBuilder("svc")
    assert builder.query_subsegment(first)["sql"]["sanitized_query"] == statement
    settings.SECRET_KEY = secret
    built = builder.query_subsegment(second)["sql"]["sanitized_query"]
    assert built == statement.replace(secret, "[REDACTED]")
    connection.close()
