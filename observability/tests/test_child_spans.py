"""Child spans of this process's sampled spans are ChildSpans (child_spans.py): what the SDK's
span would record, made without its machinery. Roots, remote parents, links and other samplers
keep the SDK's span; a ChildSpan's bytes on the wire are the library encoder's, and an exception
ends it as the SDK's start_as_current_span ends its own."""

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as library_encode
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.sdk.trace.sampling import ALWAYS_ON, ParentBased
from opentelemetry.trace import SpanKind, StatusCode

from observability.providers.otel.child_spans import ChildSpan
from observability.providers.otel.encoding import encode_spans
from observability.providers.otel.propagation import request_sampler
from observability.providers.otel.tracing import build_tracer_provider

REMOTE = trace.SpanContext(
    0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331, is_remote=True,
    trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
    trace_state=trace.TraceState([("vendor", "value")]),
)  # fmt: skip


class Finished(SpanProcessor):
    def __init__(self):
        self.spans = []

    def on_end(self, span):
        self.spans.append(span)


def traced(sampler):
    finished = Finished()
    provider = build_tracer_provider(sampler, finished)
    return provider.get_tracer("home.activities"), finished.spans


def test_a_child_of_a_sampled_span_is_a_child_span_and_encodes_as_the_sdks_would():
    tracer, spans = traced(request_sampler())
    parent = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE))
    with tracer.start_as_current_span("GET /x", context=parent, kind=SpanKind.SERVER) as server:
        with tracer.start_as_current_span("mock-data", attributes={"a": 1}) as child:
            child.set_attribute("app.now", "2026-12-04T10:00:00+00:00")
            child.set_attributes({"app.result_length": 4, "tags": ["x", "y"], "ratio": 0.5})
            child.add_event("found", {"count": 2})
            assert trace.get_current_span() is child
        with pytest.raises(ValueError, match="on purpose"), tracer.start_as_current_span("fails"):
            raise ValueError("on purpose")
        with tracer.start_as_current_span("linked", links=[trace.Link(REMOTE)]):
            pass
    mock, failed, _, _ = spans
    assert [type(span).__name__ for span in spans] == [
        "ChildSpan",
        "ChildSpan",
        "ReadableSpan",
        "ReadableSpan",
    ]  # the SDK hands its processors a ReadableSpan
    assert mock.parent.span_id == server.get_span_context().span_id
    assert mock.context.trace_id == REMOTE.trace_id
    assert mock.context.trace_state == REMOTE.trace_state
    assert mock.context.trace_flags == server.get_span_context().trace_flags
    assert dict(mock.attributes) == {
        "a": 1, "app.now": "2026-12-04T10:00:00+00:00", "app.result_length": 4,
        "tags": ("x", "y"), "ratio": 0.5,
    }  # fmt: skip
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "ValueError: on purpose"
    [event] = failed.events
    assert event.attributes["exception.type"] == "ValueError"
    assert "raise ValueError" in event.attributes["exception.stacktrace"]
    assert encode_spans(spans) == library_encode(spans).SerializePartialToString()


def test_roots_remote_parents_and_other_samplers_keep_the_sdks_span():
    tracer, spans = traced(request_sampler())
    with tracer.start_as_current_span("root"):
        pass
    remote = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE))
    with tracer.start_as_current_span("remote child", context=remote):
        pass
    assert not any(isinstance(span, ChildSpan) for span in spans)
    # A sampler that does not say it samples every child of a sampled parent decides each child.
    tracer, spans = traced(ParentBased(ALWAYS_ON))
    with tracer.start_as_current_span("root"), tracer.start_as_current_span("child"):
        pass
    assert not any(isinstance(span, ChildSpan) for span in spans)


def test_a_child_span_used_as_a_context_manager_ends_as_the_sdks_span_does():
    tracer, spans = traced(request_sampler())
    with tracer.start_as_current_span("root"):
        span = tracer.start_span("manual", record_exception=False)
        with pytest.raises(KeyError), span:
            raise KeyError("k")
    manual, _ = spans
    assert isinstance(manual, ChildSpan)
    assert manual.events == ()  # record_exception=False, as asked
    assert manual.status.status_code is StatusCode.ERROR
    assert not manual.is_recording()
    manual.set_attribute("late", 1)  # ignored once ended, as the SDK ignores it
    assert "late" not in manual.attributes
