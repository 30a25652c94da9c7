"""The OTLP bytes observability writes for a batch of spans are the bytes the exporter's own
encoder writes, for spans of every shape: server and internal spans, remote parents with a trace
state, events, links, statuses, every attribute type (including those it hands to the library,
and one the library cannot encode), several scopes and resources."""

import logging

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as library_encode
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.providers.otel.databases import ChildSpanTracerProvider
from observability.providers.otel.encoding import encode_spans

REMOTE = trace.SpanContext(
    0x0AF7651916CD43DD8448EB211C80319C,
    0xB7AD6B7169203331,
    is_remote=True,
    trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    trace_state=trace.TraceState([("vendor", "value")]),
)
ATTRIBUTES = {
    "http.method": "GET",
    "net.host.port": 8000,
    "http.server_name": None,
    "ratio": 1.5,
    "no": False,
    "yes": True,
    "negative": -5,
    "zero": 0,
    "large": 2**40,
    "strings": ["a", "b"],
    "numbers": [1, 2],
    "text": "h\u00e9llo \u2603",
    "empty": "",
    "long": "x" * 300,
    "longer": "\u00e9" * 3000,
    "raw": b"\x00\x01",
}


def provider(service="backend-django"):
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider(resource=Resource.create({"service.name": service}))
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    return tracer_provider, exporter


def request_spans(tracer_provider):
    server = tracer_provider.get_tracer("opentelemetry.instrumentation.django", "0.66b2")
    home = tracer_provider.get_tracer("home.activities", schema_url="https://example.com/s")
    parent = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE))
    kind = trace.SpanKind.SERVER
    with server.start_as_current_span("GET api", context=parent, kind=kind) as span:
        span.set_attributes(ATTRIBUTES)
        span.add_event("event", {"count": 1})
        span.add_link(REMOTE, {"link": "x"})
        with home.start_as_current_span("home-activities-mock-data") as child:
            child.set_attribute("app.result_length", 4)
        with pytest.raises(ValueError, match="on purpose"), home.start_as_current_span("fails"):
            raise ValueError("on purpose")
        queries(tracer_provider)
        span.set_status(trace.Status(trace.StatusCode.ERROR, "failed"))
    with server.start_as_current_span(""):  # no name, no attributes, a root
        queries(tracer_provider)  # under a span without trace state, as most are


def queries(tracer_provider):
    """Database spans (QuerySpan, encoded from their fields): two of one statement, one with a
    list attribute, one failed."""
    database = ChildSpanTracerProvider(tracer_provider).get_tracer(
        "opentelemetry.instrumentation.sqlite3", "0.66b1"
    )
    kind = trace.SpanKind.CLIENT
    for attributes in ({}, {}, {"tags": ["a", "b"]}):
        with database.start_as_current_span("SELECT", kind=kind) as query:
            query.set_attributes({"db.system": "sqlite", "db.statement": "SELECT 1", **attributes})
    with pytest.raises(ValueError, match="locked"), database.start_as_current_span("", kind=kind):
        raise ValueError("locked")


def test_the_bytes_are_the_library_encoders_bytes():
    tracer_provider, exporter = provider()
    request_spans(tracer_provider)
    spans = exporter.get_finished_spans()
    assert len(spans) == 12
    assert sum(type(span).__name__ == "QuerySpan" for span in spans) == 8
    assert encode_spans(spans) == library_encode(spans).SerializePartialToString()
    assert encode_spans(spans) == encode_spans(spans)  # the cached resource and scopes too


def test_spans_of_several_resources_are_grouped_as_the_library_groups_them():
    spans = []
    for service in ("one", "two", "one"):
        tracer_provider, exporter = provider(service)
        request_spans(tracer_provider)
        spans += exporter.get_finished_spans()
    spans = spans[::2] + spans[1::2]  # interleaved
    assert encode_spans(spans) == library_encode(spans).SerializePartialToString()
    assert encode_spans([]) == library_encode([]).SerializePartialToString()


def test_an_attribute_the_library_cannot_encode_is_left_out_as_the_library_leaves_it(caplog):
    tracer_provider, exporter = provider()
    with tracer_provider.get_tracer("t").start_as_current_span("s") as span:
        span.set_attribute("ok", "kept")
        span.set_attribute("too-large", 2**64)  # no int64
        span.set_attribute("surrogate", "\ud800")  # no UTF-8
    [finished] = exporter.get_finished_spans()
    with caplog.at_level(logging.ERROR):
        encoded = encode_spans([finished])
    assert encoded == library_encode([finished]).SerializePartialToString()
    [decoded] = ExportTraceServiceRequest.FromString(encoded).resource_spans[0].scope_spans
    assert [a.key for a in decoded.spans[0].attributes] == ["ok"]
    assert "Failed to encode key too-large" in caplog.text
    assert "Failed to encode key surrogate" in caplog.text
