"""Request metrics as OpenTelemetry metrics: the SDK's instruments, aggregated in the process by
its MeterProvider and exported by a PeriodicExportingMetricReader over OTLP/HTTP (/v1/metrics of
the traces' endpoint, with their headers) once per interval, and once more when the process stops.

Temporality is delta: Honeycomb stores each data point as an event, so with deltas SUM() of the
counters and the histogram's percentiles read per time bucket, across workers, directly; with
cumulative totals every worker's running total would need RATE_SUM() and would restart with the
worker (gunicorn's max-requests recycling). The request counter is observable (see
RequestMetricsRecorder), so it reports every series it has seen each interval, 0 when idle: at
most one per route and status class.

The meter provider is ours alone, never the global one: the Django instrumentation's own
instruments (http.server.duration, keyed by the raw target of every unmatched path, and
http.server.active_requests) stay no-ops (tracing.instrument_django), so nothing is counted twice
and no series per URL leaves the process."""

import math
import threading

from observability.background import on_exit
from observability.conf import conf
from observability.metrics import ERROR_CLASS, LATENCY_GRID_MS

SCOPE = "observability.request_metrics"
# Milliseconds the stopping process gives the last export (its own thread; a collector that is
# down delays the stop by this much at most).
EXIT_MILLIS = 1000
ROUTE, STATUS_CLASS = "http.route", "http.response.status_class"


def delta_temporality():
    from opentelemetry.sdk.metrics import (
        Counter,
        Histogram,
        ObservableCounter,
        ObservableGauge,
        ObservableUpDownCounter,
        UpDownCounter,
    )
    from opentelemetry.sdk.metrics.export import AggregationTemporality

    delta, cumulative = AggregationTemporality.DELTA, AggregationTemporality.CUMULATIVE
    return {
        Counter: delta, Histogram: delta, ObservableCounter: delta,
        UpDownCounter: cumulative, ObservableUpDownCounter: cumulative,
        ObservableGauge: cumulative,
    }  # fmt: skip


def metric_exporter(provider):
    """The otel provider's metric exporter: OTLP/HTTP beside its traces, or the console."""
    from opentelemetry.sdk.metrics import Histogram
    from opentelemetry.sdk.metrics.view import ExplicitBucketHistogramAggregation

    boundaries = [point / 1000 for point in LATENCY_GRID_MS]
    options = {
        "preferred_temporality": delta_temporality(),
        "preferred_aggregation": {Histogram: ExplicitBucketHistogramAggregation(boundaries)},
    }
    if provider.options["exporter"] == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return ConsoleMetricExporter(**options)
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    from observability.providers.otel import EXPORT_TIMEOUT

    return OTLPMetricExporter(
        endpoint=f"{provider.endpoint()}/v1/metrics",
        headers=provider.headers(),
        timeout=EXPORT_TIMEOUT,
        **options,
    )


def meter_provider(reader):
    from opentelemetry.sdk.metrics import AlwaysOffExemplarFilter, MeterProvider
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    return MeterProvider(
        metric_readers=[reader],
        # Measured outside the request's span (RequestMetricsMiddleware is outermost): there is
        # no trace to link an exemplar to, only the cost of looking for one.
        exemplar_filter=AlwaysOffExemplarFilter(),
        resource=Resource.create({SERVICE_NAME: conf.service_name}),
        shutdown_on_exit=False,  # at exit, beside the other senders
    )


def periodic_reader(exporter, interval_millis):
    from opentelemetry.sdk.metrics.export import PeriodicExportingMetricReader

    return PeriodicExportingMetricReader(exporter, export_interval_millis=interval_millis)


def begin_last_export(reader):
    """Lets the reader's thread start its last collection and export now (what its shutdown
    does first), so that it runs while the other senders send theirs, not after them."""
    event = getattr(reader, "_shutdown_event", None)
    if event is not None:  # else shutdown() alone does it, later
        event.set()


class RequestMetricsRecorder:
    """Records each request by route and status class: into the SDK's latency histogram (the
    one SDK call a request makes: each costs some 50,000 instructions), the SDK's error counter
    on a 5xx, and a count of its own that the SDK reads, as an observable counter of requests,
    when it collects."""

    def __init__(self, meter):
        self.lock = threading.Lock()
        self.requests = {}  # (route, status class): requests since the start, as observed
        self.attributes = {}  # one attributes dict per series, made once (they are few)
        meter.create_observable_counter(
            "http.server.requests", callbacks=[self.observe], unit="{request}",
            description="Requests served.",
        )  # fmt: skip
        self.errors = meter.create_counter(
            "http.server.errors", unit="{request}", description="Requests answered 5xx."
        )
        self.duration = meter.create_histogram(
            "http.server.request.duration", unit="s", description="Time to answer a request."
        )

    def __call__(self, route, status_class, seconds):
        key = (route, status_class)
        attributes = self.attributes.get(key)
        if attributes is None:
            attributes = self.attributes.setdefault(key, {ROUTE: route, STATUS_CLASS: status_class})
        with self.lock:
            self.requests[key] = self.requests.get(key, 0) + 1
        self.duration.record(seconds, attributes)
        if status_class == ERROR_CLASS:
            self.errors.add(1, attributes)

    def observe(self, options):
        from opentelemetry.metrics import Observation

        with self.lock:
            counts = list(self.requests.items())
        return [Observation(count, self.attributes[key]) for key, count in counts]


def start_request_metrics(provider, interval_seconds):
    """This process's request-metric recorder, exporting every `interval_seconds`."""
    reader = periodic_reader(metric_exporter(provider), interval_seconds * 1000)
    meters = meter_provider(reader)
    on_exit(lambda: begin_last_export(reader), first=True)
    on_exit(lambda: meters.shutdown(timeout_millis=EXIT_MILLIS))
    return RequestMetricsRecorder(meters.get_meter(SCOPE))


def send_test_metric(provider):
    """Exports one data point of `observability.send_test` now; True when the exporter says it
    was accepted."""
    from opentelemetry.sdk.metrics.export import MetricExportResult

    exporter = metric_exporter(provider)
    results, export = [], exporter.export

    def recording(*args, **kwargs):
        results.append(export(*args, **kwargs))
        return results[-1]

    exporter.export = recording
    meters = meter_provider(periodic_reader(exporter, math.inf))  # no thread: the flush sends
    meters.get_meter(SCOPE).create_counter("observability.send_test").add(1)
    meters.force_flush()
    meters.shutdown()
    return results == [MetricExportResult.SUCCESS]
