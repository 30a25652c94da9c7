"""OpenTelemetry: Django's instrumentation, spans exported over OTLP/HTTP (Honeycomb or any
collector) by a batch processor in the background, or printed to the console."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning

from observability.conf import HONEYCOMB_ENDPOINT, OTLP_DEFAULT_ENDPOINT
from observability.providers.base import Provider, captured
from observability.providers.otel.export import GuardedSpanExporter, ResultRecordingExporter

EXPORTERS = ("otlp", "console")
# Seconds one export may take, retries included: a slow collector never holds shutdown long.
EXPORT_TIMEOUT = 1.5


def parse_headers(text):
    """OTEL_EXPORTER_OTLP_HEADERS' format: `key=value,key2=value2`, values URL-encoded."""
    from opentelemetry.util.re import parse_env_headers

    return parse_env_headers(text or "", liberal=True)


class OpenTelemetryProvider(Provider):
    """Traces every request with the OpenTelemetry Django instrumentation."""

    identifier = "otel"
    title = "OpenTelemetry"

    def __init__(self):
        super().__init__()
        self.tracer_provider = None

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

            return ConsoleSpanExporter()
        from observability.providers.otel.encoding import BytesEncodingSpanExporter

        exporter = BytesEncodingSpanExporter(
            endpoint=f"{self.endpoint()}/v1/traces", headers=self.headers(), timeout=EXPORT_TIMEOUT
        )
        return GuardedSpanExporter(exporter)

    def build_tracer_provider(self, processor):
        from opentelemetry.sdk.extension.aws.trace import AwsXRayIdGenerator
        from opentelemetry.sdk.resources import SERVICE_NAME, Resource
        from opentelemetry.sdk.trace import TracerProvider

        from observability.conf import conf
        from observability.providers.otel.propagation import request_sampler, sampler_ratio

        # X-Ray-compatible trace ids: the same id names the request in every backend.
        provider = TracerProvider(
            resource=Resource.create({SERVICE_NAME: conf.service_name}),
            id_generator=AwsXRayIdGenerator(),
            sampler=request_sampler(sampler_ratio(self.options.get("sampler_ratio"))),
            shutdown_on_exit=False,  # at exit, beside the other senders (see start)
        )
        provider.add_span_processor(processor)
        return provider

    def start(self):
        from opentelemetry import propagate, trace
        from opentelemetry.baggage.propagation import W3CBaggagePropagator
        from opentelemetry.instrumentation.django import DjangoInstrumentor
        from opentelemetry.propagators.composite import CompositePropagator
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
        from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

        from observability.background import on_exit
        from observability.providers.otel.propagation import (
            FailOpenPropagator,
            XRayHeaderPropagator,
        )

        # Incoming context from either header: X-Amzn-Trace-Id, or W3C traceparent (which wins).
        propagators = [
            XRayHeaderPropagator(), TraceContextTextMapPropagator(), W3CBaggagePropagator()
        ]  # fmt: skip
        propagate.set_global_textmap(
            CompositePropagator([FailOpenPropagator(propagator) for propagator in propagators])
        )
        self.tracer_provider = self.build_tracer_provider(BatchSpanProcessor(self.build_exporter()))
        trace.set_tracer_provider(self.tracer_provider)
        # Its last spans leave when the process stops, while the other senders send theirs.
        on_exit(self.tracer_provider.shutdown)
        instrumentor = DjangoInstrumentor()
        if not instrumentor.is_instrumented_by_opentelemetry:
            # The instrumentor configures its middleware and puts it first in settings.MIDDLEWARE;
            # it runs inside ObservabilityMiddleware instead (outer_middleware), fail-open like
            # every provider's, so MIDDLEWARE is left as settings.py wrote it.
            written = settings.MIDDLEWARE
            snapshot = list(written)
            instrumentor.instrument(tracer_provider=self.tracer_provider)
            if isinstance(written, list):  # it inserts into the list itself
                written[:] = snapshot
            settings.MIDDLEWARE = written

    def outer_middleware(self):
        from observability.providers.otel.server_span import ServerSpanMiddleware

        return [ServerSpanMiddleware]

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
        """Export one span now with a fresh exporter; arrived when the endpoint took it."""
        from opentelemetry import trace
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

        exporter = ResultRecordingExporter(self.build_exporter())
        provider = self.build_tracer_provider(SimpleSpanProcessor(exporter))
        parent = None
        if trace_id:
            remote = trace.SpanContext(
                int(trace_id, 16),
                1,
                is_remote=True,
                trace_flags=trace.TraceFlags(trace.TraceFlags.SAMPLED),
            )
            parent = trace.set_span_in_context(trace.NonRecordingSpan(remote))
        tracer = provider.get_tracer("observability.send_test")
        with captured("opentelemetry") as records:
            with tracer.start_as_current_span("send-test", context=parent):
                pass
            provider.shutdown()
        if self.options["exporter"] == "console":
            return True, "printed to the console"
        if exporter.results == [SpanExportResult.SUCCESS]:
            return True, f"accepted by {self.endpoint()}"
        return False, f"not accepted by {self.endpoint()}: {records.reason() or 'no reason given'}"
