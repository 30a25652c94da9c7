"""The tracer the database instrumentations get: a query's span only under a recording span, never
made current, ended with the exception and status the SDK's own context manager would record."""

import pytest
from opentelemetry import context, trace
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from observability.providers.otel.databases import ChildSpanTracerProvider


@pytest.fixture
def tracers(finished_spans):
    """The request's tracer, the instrumentations' tracer, and the spans they finished."""
    provider, spans = finished_spans
    return provider.get_tracer("request"), ChildSpanTracerProvider(provider).get_tracer("db"), spans


def test_a_query_outside_a_recording_span_makes_none(tracers):
    _, queries, finished = tracers
    with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as span:
        assert not span.is_recording()
    assert queries.start_span("SELECT") is trace.INVALID_SPAN
    assert finished == []


def test_a_query_under_the_request_is_its_child_and_never_current(tracers):
    requests, queries, finished = tracers
    with requests.start_as_current_span("GET /x", kind=SpanKind.SERVER) as request:
        with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
            assert query.is_recording()
            assert trace.get_current_span() is request
        with (
            pytest.raises(ValueError, match="no such table"),
            queries.start_as_current_span("INSERT", kind=SpanKind.CLIENT),
        ):
            raise ValueError("no such table")
    select, insert, _ = finished
    assert select.parent.span_id == request.get_span_context().span_id
    assert select.kind is SpanKind.CLIENT
    assert select.end_time is not None
    assert insert.status.status_code is StatusCode.ERROR
    assert insert.status.description == "ValueError: no such table"
    assert [event.name for event in insert.events] == ["exception"]


def test_a_query_in_a_context_given_is_the_child_of_that_contexts_span(tracers):
    requests, queries, finished = tracers
    with requests.start_as_current_span("GET /x") as request:
        given = trace.set_span_in_context(request)
        token = context.attach(context.Context())  # the current context holds no span
        try:
            with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
                assert not query.is_recording()
            with queries.start_as_current_span(
                "SELECT", context=given, kind=SpanKind.CLIENT
            ) as query:
                assert query.is_recording()
        finally:
            context.detach(token)
    assert finished[0].parent.span_id == request.get_span_context().span_id
    unsampled = trace.NonRecordingSpan(request.get_span_context())
    with queries.start_as_current_span(
        "SELECT", context=trace.set_span_in_context(unsampled), kind=SpanKind.CLIENT
    ) as query:
        assert not query.is_recording()


def test_a_processor_that_acts_on_start_sees_every_query_start(tracers, finished_spans):
    requests, queries, _ = tracers
    provider, _ = finished_spans
    started = []

    class Starts(SpanProcessor):
        def on_start(self, span, parent_context=None):
            started.append((span.name, span.is_recording()))

    with requests.start_as_current_span("GET /x"):
        with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT):
            pass
        provider.add_span_processor(Starts())  # after the tracer has started a query's span
        with queries.start_as_current_span("INSERT", kind=SpanKind.CLIENT):
            pass
    assert started == [("INSERT", True)]


def test_query_spans_reach_every_processor_as_they_end(tracers, finished_spans):
    """The SDK's batch processor takes them into its batch; a processor added later gets those
    that end after it was added."""
    from opentelemetry.sdk.trace.export import BatchSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    requests, queries, finished = tracers
    provider, _ = finished_spans
    exported = InMemorySpanExporter()
    batch = BatchSpanProcessor(exported)
    provider.add_span_processor(batch)
    with requests.start_as_current_span("GET /x"):
        with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT):
            pass
        later = []

        class Ends(SpanProcessor):
            def on_end(self, span):
                later.append(span.name)

        provider.add_span_processor(Ends())
        with queries.start_as_current_span("INSERT", kind=SpanKind.CLIENT):
            pass
    batch.force_flush()
    assert [span.name for span in exported.get_finished_spans()] == ["SELECT", "INSERT", "GET /x"]
    assert [span.name for span in finished] == ["SELECT", "INSERT", "GET /x"]
    assert later == ["INSERT", "GET /x"]
