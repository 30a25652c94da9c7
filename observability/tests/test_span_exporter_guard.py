"""After a failed export the guard drops batches at once for a while, so a collector that is down
costs no retries and never fills the span queue; it counts what it dropped."""

from opentelemetry.sdk.trace.export import SpanExportResult

from observability.providers.otel.export import GuardedSpanExporter


class Collector:
    def __init__(self, result):
        self.result = result
        self.batches = 0

    def export(self, spans):
        self.batches += 1
        return self.result


def test_a_failed_export_backs_off_and_counts_drops(monkeypatch):
    clock = [100.0]
    monkeypatch.setattr("observability.providers.otel.export.time.monotonic", lambda: clock[0])
    collector = Collector(SpanExportResult.FAILURE)
    guard = GuardedSpanExporter(collector)
    assert guard.export([]) == SpanExportResult.FAILURE
    assert guard.export(["a", "b"]) == SpanExportResult.FAILURE
    assert (collector.batches, guard.dropped) == (1, 2)
    clock[0] += GuardedSpanExporter.BACK_OFF_SECONDS
    collector.result = SpanExportResult.SUCCESS
    assert guard.export([]) == SpanExportResult.SUCCESS
    assert collector.batches == 2


def test_a_failed_spans_exception_text_and_names_leave_scrubbed():
    """use_span writes the exception's text into the status description: a secret quoted in it
    (here a token in a URL) must leave as [REDACTED], as it does from the event's attributes."""
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    collector = Collector(SpanExportResult.SUCCESS)
    sent = []
    collector.export = lambda spans: sent.extend(spans) or SpanExportResult.SUCCESS
    collector.shutdown = lambda: None
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(GuardedSpanExporter(collector)))
    tracer = provider.get_tracer("test")
    try:
        with tracer.start_as_current_span("GET /a?token=SEKRET123456"):
            raise ValueError("failed at /a?token=SEKRET123456&term=cloud")
    except ValueError:
        pass
    provider.shutdown()
    [span] = sent
    texts = [span.name, span.status.description, *[e.name for e in span.events]]
    texts += [str(value) for e in span.events for value in e.attributes.values()]
    assert not [text for text in texts if "SEKRET123456" in text]
    assert "token=[REDACTED]&term=cloud" in span.status.description
