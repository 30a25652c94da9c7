"""The tracer the database instrumentations get: a query's span only under a recording span, never
made current, ended with the exception and status the SDK's own context manager would record."""

import pytest
from opentelemetry import trace
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
