"""OpenTelemetry: Django's instrumentation, spans exported over OTLP/HTTP (Honeycomb or any
collector) by a batch processor in the background, or printed to the console; and the request
metrics (metrics.py), exported beside the spans once per interval."""

from urllib.parse import urlsplit

from django.core.checks import Warning

from observability.conf import HONEYCOMB_ENDPOINT, OTLP_DEFAULT_ENDPOINT
from observability.metrics import interval_seconds, metrics_wanted
from observability.problems import problems
from observability.providers.base import Provider, captured
from observability.providers.otel.export import GuardedSpanExporter, ResultRecordingExporter

EXPORTERS = ("otlp", "console")
# Seconds one export may take, retries included: a slow collector never holds shutdown long.
EXPORT_TIMEOUT = 1.5


def parse_headers(text):
    """OTEL_EXPORTER_OTLP_HEADERS' format: `key=value,key2=value2`, values URL-encoded."""
    from opentelemetry.util.re import parse_env_headers

    return parse_env_headers(text or "", liberal=True)


def start_metrics_failing_open(provider):
    """The request-metric recorder, or None (said once) when it cannot start: the spans go on."""
    from observability.providers.otel.metrics import start_request_metrics

    try:
        return start_request_metrics(provider, interval_seconds())
    except Exception:
        problems.warn(("otel", "metrics"), "observability: OpenTelemetry metrics not started",
                      exc_info=True)  # fmt: skip
        return None


class OpenTelemetryProvider(Provider):
    """Traces every request with the OpenTelemetry Django instrumentation."""

    identifier = "otel"
    title = "OpenTelemetry"
    takes_metrics = True

    def __init__(self):
        super().__init__()
        self.tracer_provider = None
        self.metrics_recorder = None

    def endpoint(self):
        """The OTLP base URL: as set, else Honeycomb's when a key is given, else the default."""
        if self.options["endpoint"]:
            return self.options["endpoint"].rstrip("/")
        return HONEYCOMB_ENDPOINT if self.options["honeycomb_api_key"] else OTLP_DEFAULT_ENDPOINT

    def headers(self):
        headers = parse_headers(self.options["headers"])
        if self.options["honeycomb_api_key"]:
            headers["x-honeycomb-team"] = self.options["honeycomb_api_key"]
        return headers

    def build_exporter(self):
        if self.options["exporter"] == "console":
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter

            # Printed as they would be sent: scrubbed, statements without their literals.
            return GuardedSpanExporter(ConsoleSpanExporter())
        from observability.providers.otel.encoding import BytesEncodingSpanExporter

        exporter = BytesEncodingSpanExporter(
            endpoint=f"{self.endpoint()}/v1/traces", headers=self.headers(), timeout=EXPORT_TIMEOUT
        )
        return GuardedSpanExporter(exporter)

    def sampler(self):
        from observability.providers.otel.propagation import request_sampler, sampler_ratio

        return request_sampler(sampler_ratio(self.options.get("sampler_ratio")))

    def start(self):
        from opentelemetry.sdk.trace.export import BatchSpanProcessor

        from observability.providers.otel.tracing import tracer_provider

        self.tracer_provider = tracer_provider(self.sampler())
        self.tracer_provider.add_span_processor(BatchSpanProcessor(self.build_exporter()))
        self.metrics_recorder = None
        if metrics_wanted():
            self.metrics_recorder = start_metrics_failing_open(self)

    def request_metrics(self):
        return self.metrics_recorder

    def outer_middleware(self):
        from observability.providers.otel.tracing import server_span_middleware

        return server_span_middleware()

    def checks(self):
        messages = []
        if self.options["exporter"] not in EXPORTERS:
            messages.append(
                Warning(
                    f"OTEL_TRACES_EXPORTER {self.options['exporter']!r} is not one of {EXPORTERS}.",
                    hint="Set OTEL_TRACES_EXPORTER to otlp (the default) or console.",
                    id="observability.W010",
                )
            )
        messages += self.sampler_checks()
        endpoint = urlsplit(self.endpoint())
        if endpoint.scheme not in ("http", "https") or not endpoint.netloc:
            messages.append(
                Warning(
                    f"OTEL_EXPORTER_OTLP_ENDPOINT {self.options['endpoint']!r} is no http(s) URL.",
                    hint="Use the collector's base URL, e.g. https://api.honeycomb.io or "
                    "http://otel-collector:4318; /v1/traces is added.",
                    id="observability.W011",
                )
            )
        return messages

    def sampler_checks(self):
        from observability.providers.otel.propagation import sampler_ratio

        try:
            sampler_ratio(self.options.get("sampler_ratio"))
        except ValueError:
            value = self.options.get("sampler_ratio")
            return [
                Warning(
                    f"OTEL_TRACES_SAMPLER_ARG {value!r} is not a fraction from 0 to 1.",
                    hint="Set it to the share of new traces to sample, e.g. 0.1, or unset it "
                    "to sample every request.",
                    id="observability.W012",
                )
            ]
        return []

    def send_test(self, trace_id=None):
        """Export one span, and one metric when request metrics are on, now with fresh
        exporters; arrived when the endpoint took them."""
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

        from observability.providers.otel.tracing import send_test_span

        exporter = ResultRecordingExporter(self.build_exporter())
        metric = metrics_wanted()
        with captured("opentelemetry") as records:
            send_test_span(SimpleSpanProcessor(exporter), trace_id)
            metric_accepted = metric and self.send_test_metric()
        sent = "a span and a metric" if metric else "a span"
        if self.options["exporter"] == "console":
            return True, f"{sent} printed to the console"
        if exporter.results == [SpanExportResult.SUCCESS] and metric_accepted == metric:
            return True, f"{sent} accepted by {self.endpoint()}"
        reason = records.reason() or "no reason given"
        return False, f"{sent} not accepted by {self.endpoint()}: {reason}"

    def send_test_metric(self):
        from observability.providers.otel.metrics import send_test_metric

        return send_test_metric(self)
