"""OpenTelemetry's span export, kept safe: spans leave scrubbed, a collector that fails is backed
off from instead of retried, and --send-test can see each export's result."""

import time

from observability.problems import problems
from observability.scrubbing import scrub_attributes, scrub_text


class ResultRecordingExporter:
    """Wraps an exporter and keeps the result of each export, for --send-test."""

    def __init__(self, inner):
        self.inner = inner
        self.results = []

    def export(self, spans):
        self.results.append(self.inner.export(spans))
        return self.results[-1]

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return True


class GuardedSpanExporter:
    """Wraps an exporter: spans leave scrubbed (observability.scrubbing), and after a failed
    export the next batches are dropped at once, and counted, for BACK_OFF_SECONDS, so a
    collector that is down costs no retries and never fills the span queue."""

    BACK_OFF_SECONDS = 5.0

    def __init__(self, inner):
        self.inner = inner
        self.retry_at = 0.0
        self.dropped = 0

    def export(self, spans):
        from opentelemetry.sdk.trace.export import SpanExportResult

        if time.monotonic() < self.retry_at:
            self.dropped += len(spans)
            return SpanExportResult.FAILURE
        # The SDK, here only once otel is on.
        from observability.providers.otel.child_spans import ChildSpan, RootSpan
        from observability.providers.otel.databases import QuerySpan

        # A lean span was scrubbed as it ended (ChildSpan.is_clean).
        lean = (ChildSpan, QuerySpan, RootSpan)
        result = self.inner.export(
            [
                span if span.__class__ in lean and span.is_clean() else scrubbed(span)
                for span in spans
            ]
        )
        if result != SpanExportResult.SUCCESS:
            self.retry_at = time.monotonic() + self.BACK_OFF_SECONDS
            self.dropped += len(spans)
            problems.warn(
                ("otel", "export"),
                "observability: OpenTelemetry spans not accepted by %s; %d dropped so far",
                getattr(self.inner, "_endpoint", "the exporter"), self.dropped,
            )  # fmt: skip
        return result

    def shutdown(self):
        self.inner.shutdown()

    def force_flush(self, timeout_millis=30000):
        return self.inner.force_flush(timeout_millis)


def plain_attributes(item):
    """A finished span's (or event's) attributes as a plain dict, to read and not to change: the
    SDK's own (BoundedAttributes keeps one), read without a mapping proxy's call per key, else a
    copy."""
    held = getattr(item, "_attributes", None)
    if held.__class__ is dict:  # a QuerySpan's
        return held
    held = getattr(held, "_dict", None)
    return held if isinstance(held, dict) else dict(item.attributes or {})


def scrubbed(span):
    """The span, or a copy with its attributes, its events' attributes, its name, its events'
    names and its status description scrubbed where scrubbing changes anything (most spans carry
    nothing to scrub and are not copied). The status description of a failed span is the
    exception's text, which may quote what a client sent."""
    attributes = plain_attributes(span)
    events = [(e, plain_attributes(e)) for e in span.events]
    clean_attributes = scrub_attributes(attributes)
    clean_events = [(scrub_text(e.name), scrub_attributes(values)) for e, values in events]
    name = scrub_text(span.name)
    description = span.status.description
    clean_description = scrub_text(description) if description else description
    if (
        clean_attributes is attributes
        and name is span.name
        and clean_description is description
        and all(
            clean_name is e.name and clean is values
            for (e, values), (clean_name, clean) in zip(events, clean_events, strict=True)
        )
    ):
        return span
    from opentelemetry.sdk.trace import Event, ReadableSpan  # the SDK, only where otel is on
    from opentelemetry.trace import Status

    return ReadableSpan(
        name=name,
        context=span.context,
        parent=span.parent,
        resource=span.resource,
        attributes=clean_attributes,
        events=[
            Event(clean_name, clean, e.timestamp)
            for (e, _), (clean_name, clean) in zip(events, clean_events, strict=True)
        ],
        links=span.links,
        kind=span.kind,
        status=Status(span.status.status_code, clean_description),
        start_time=span.start_time,
        end_time=span.end_time,
        instrumentation_scope=span.instrumentation_scope,
    )
