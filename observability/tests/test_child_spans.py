"""Child spans of this process's sampled spans are ChildSpans, and sampled spans that start a
trace here (no parent, or a remote one) RootSpans (child_spans.py): what the SDK's span would
record, made without its machinery. Links, start times, unsampled traces and other samplers keep
the SDK's span; a lean span's bytes on the wire are the library encoder's, and an exception ends
it as the SDK's start_as_current_span ends its own."""

import asyncio
from unittest.mock import ANY

import pytest
from opentelemetry import trace
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans as library_encode
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.sampling import (
    ALWAYS_ON,
    Decision,
    ParentBased,
    SamplingResult,
    TraceIdRatioBased,
)
from opentelemetry.trace import SpanKind, StatusCode

from observability.providers.otel.child_spans import ChildSpan, RootSpan
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
    mock, failed, _, request = spans
    assert [type(span).__name__ for span in spans] == [
        "ChildSpan",
        "ChildSpan",
        "ReadableSpan",  # with links: the SDK hands its processors a ReadableSpan
        "RootSpan",  # under a remote parent
    ]
    assert request.parent == REMOTE
    assert request.context.trace_state == REMOTE.trace_state
    assert request.context.trace_flags.sampled
    assert not request.context.is_remote
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


def test_a_sampled_span_that_starts_a_trace_here_is_a_root_span_the_sampler_asked_once():
    asked = []

    class Counting(type(request_sampler())):
        def should_sample(self, *args, **kwargs):
            asked.append(args[2])  # the span's name
            return super().should_sample(*args, **kwargs)

    sampler = Counting(root=ALWAYS_ON)
    tracer, spans = traced(sampler)
    with tracer.start_as_current_span("root", attributes={"http.method": "GET"}) as root:
        root.set_attribute("http.status_code", 200)
    remote = trace.set_span_in_context(trace.NonRecordingSpan(REMOTE))
    with tracer.start_as_current_span("remote child", context=remote, kind=SpanKind.SERVER):
        pass
    assert asked == ["root", "remote child"]
    first, second = spans
    assert type(first) is RootSpan
    assert type(second) is RootSpan
    assert first.parent is None
    assert first.context.trace_flags.sampled
    assert dict(first.attributes) == {"http.method": "GET", "http.status_code": 200}
    assert encode_spans(spans) == library_encode(spans).SerializePartialToString()
    assert second.parent == REMOTE
    assert second.context.trace_id == REMOTE.trace_id
    assert encode_spans(spans) == library_encode(spans).SerializePartialToString()


def test_unsampled_traces_links_and_other_samplers_keep_the_sdks_span():
    # A trace the sampler drops is the SDK's non-recording span, with a context of its own.
    tracer, spans = traced(request_sampler(ratio=0.0))
    with tracer.start_as_current_span("dropped") as dropped:
        assert not dropped.is_recording()
        assert dropped.get_span_context().is_valid
        assert not dropped.get_span_context().trace_flags.sampled
        with tracer.start_as_current_span("under it") as child:
            assert not child.is_recording()
    assert spans == []

    class RecordOnly(type(request_sampler())):
        def should_sample(self, parent_context, trace_id, name, *args, **kwargs):
            return SamplingResult(Decision.RECORD_ONLY, {"asked": name})

    # Recorded but not sampled: the SDK's span, as its start_span makes it of the decision.
    tracer, spans = traced(RecordOnly(root=ALWAYS_ON))
    with tracer.start_as_current_span("recorded") as recorded:
        assert recorded.is_recording()
        assert not recorded.get_span_context().trace_flags.sampled
    assert [(type(span).__name__, dict(span.attributes)) for span in spans] == [
        ("ReadableSpan", {"asked": "recorded"})
    ]
    tracer, spans = traced(request_sampler())
    with tracer.start_as_current_span("linked root", links=[trace.Link(REMOTE)]):
        pass
    # A sampler that does not say it samples every child of a sampled parent decides each span.
    for sampler in (ParentBased(ALWAYS_ON), TraceIdRatioBased(1.0)):
        more, finished = traced(sampler)
        with more.start_as_current_span("root"), more.start_as_current_span("child"):
            pass
        spans += finished
    assert len(spans) == 5
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


def test_start_as_current_span_does_what_the_sdks_does_as_a_block_and_as_a_decorator():
    tracer, spans = traced(request_sampler())
    # The SDK's own tracer and context managers, beside them.
    sdk_finished = Finished()
    sdk_provider = TracerProvider()
    sdk_provider.add_span_processor(sdk_finished)
    sdk_tracer, sdk_spans = sdk_provider.get_tracer("home.activities"), sdk_finished.spans

    @tracer.start_as_current_span("decorated")
    def decorated(value):
        return value, trace.get_current_span()

    @tracer.start_as_current_span("awaited")
    async def awaited():
        return trace.get_current_span()

    for each in (tracer, sdk_tracer):
        with each.start_as_current_span("root") as root:
            with pytest.raises(ValueError, match="no"), each.start_as_current_span("fails"):
                raise ValueError("no")
            kept = each.start_as_current_span("kept", end_on_exit=False)
            with kept as open_span:
                assert trace.get_current_span() is open_span
            assert trace.get_current_span() is root  # the context is restored
            assert open_span.is_recording()
            open_span.end()
            with pytest.raises(KeyboardInterrupt), each.start_as_current_span("interrupted"):
                raise KeyboardInterrupt  # no event, no status: not an Exception
            quiet = each.start_as_current_span("quiet", record_exception=False)
            with pytest.raises(KeyError), quiet:
                raise KeyError("k")
        assert trace.get_current_span() is trace.INVALID_SPAN
    assert [span.name for span in spans] == [span.name for span in sdk_spans]
    for lean, sdk in zip(spans, sdk_spans, strict=True):
        assert lean.status.status_code is sdk.status.status_code
        assert lean.status.description == sdk.status.description
        assert [(event.name, dict(event.attributes)) for event in lean.events] == [
            (event.name, {**event.attributes, "exception.stacktrace": ANY}) for event in sdk.events
        ]
    [event] = spans[0].events
    assert "raise ValueError" in event.attributes["exception.stacktrace"]
    with tracer.start_as_current_span("request") as request:
        value, current = decorated(1)
        assert value == 1
        assert current.parent.span_id == request.get_span_context().span_id
        assert asyncio.run(awaited()).parent.span_id == request.get_span_context().span_id
    assert [span.name for span in spans[-3:]] == ["decorated", "awaited", "request"]
    assert type(spans[-3]) is ChildSpan


def test_lean_spans_go_through_every_processor_also_one_added_later():
    class Watching(SpanProcessor):
        def __init__(self):
            self.seen = []

        def on_start(self, span, parent_context=None):
            self.seen.append(("start", span.name))

        def _on_ending(self, span):
            self.seen.append(("ending", span.name, span.is_recording()))

        def on_end(self, span):
            self.seen.append(("end", span.name))

    finished = Finished()
    provider = build_tracer_provider(request_sampler(), finished)
    tracer = provider.get_tracer("home.activities")
    with tracer.start_as_current_span("first"):
        pass
    watching = Watching()
    provider.add_span_processor(watching)
    with tracer.start_as_current_span("root"), tracer.start_as_current_span("child"):
        pass
    assert [span.name for span in finished.spans] == ["first", "child", "root"]
    assert [type(span).__name__ for span in finished.spans] == ["RootSpan", "ChildSpan", "RootSpan"]
    assert watching.seen == [
        ("start", "root"), ("start", "child"),
        ("ending", "child", False), ("end", "child"),
        ("ending", "root", False), ("end", "root"),
    ]  # fmt: skip
