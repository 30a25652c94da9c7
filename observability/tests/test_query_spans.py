"""The tracer the database instrumentations get: a query's span only under a recording span, never
made current, ended with the exception and status the SDK's own context manager would record."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.trace import SpanKind, StatusCode

from observability.providers.otel.databases import ChildSpanTracerProvider


class Finished(SpanProcessor):
    def __init__(self):
        self.spans = []

    def on_end(self, span):
        self.spans.append(span)


@pytest.fixture
def tracers():
    finished = Finished()
    provider = TracerProvider()
    provider.add_span_processor(finished)
    yield (
        provider.get_tracer("request"),
        ChildSpanTracerProvider(provider).get_tracer("db"),
        finished,
    )
    provider.shutdown()


def test_a_query_outside_a_recording_span_makes_none(tracers):
    _, queries, finished = tracers
    with queries.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as span:
        assert not span.is_recording()
    assert queries.start_span("SELECT") is trace.INVALID_SPAN
    assert finished.spans == []


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
    select, insert, _ = finished.spans
    assert select.parent.span_id == request.get_span_context().span_id
    assert select.kind is SpanKind.CLIENT
    assert select.end_time is not None
    assert insert.status.status_code is StatusCode.ERROR
    assert insert.status.description == "ValueError: no such table"
    assert [event.name for event in insert.events] == ["exception"]
