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
