"""Request metrics as OpenTelemetry metrics: the SDK's instruments, aggregated in the process by
its MeterProvider and exported by a PeriodicExportingMetricReader over OTLP/HTTP (/v1/metrics of
the traces' endpoint, with their headers) once per interval, and once more when the process stops.

Temporality is delta: Honeycomb stores each data point as an event, so with deltas SUM() of the
counters and the histogram's percentiles read per time bucket, across workers, directly; with
cumulative totals every worker's running total would need RATE_SUM() and would restart with the
worker (gunicorn's max-requests recycling). Deltas also keep no series in memory that saw no
request in the interval.

The meter provider is ours alone, never the global one: the Django instrumentation's own
instruments (http.server.duration, keyed by the raw target of every unmatched path, and
http.server.active_requests) stay no-ops (tracing.instrument_django), so nothing is counted twice
and no series per URL leaves the process."""

import math

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
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.resources import SERVICE_NAME, Resource

    return MeterProvider(
        metric_readers=[reader],
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
    """Records each request into the SDK's instruments: a counter of requests, a counter of
    errors (5xx) and a latency histogram, by route and status class."""

    def __init__(self, meter):
        self.requests = meter.create_counter(
            "http.server.requests", unit="{request}", description="Requests served."
        )
        self.errors = meter.create_counter(
            "http.server.errors", unit="{request}", description="Requests answered 5xx."
        )
        self.duration = meter.create_histogram(
            "http.server.request.duration", unit="s", description="Time to answer a request."
        )
        # One attributes dict per series, made once (routes and classes are few).
        self.attributes = {}

    def __call__(self, route, status_class, seconds):
        attributes = self.attributes.get((route, status_class))
        if attributes is None:
            attributes = {ROUTE: route, STATUS_CLASS: status_class}
            self.attributes[(route, status_class)] = attributes
        self.requests.add(1, attributes)
        self.duration.record(seconds, attributes)
        if status_class == ERROR_CLASS:
            self.errors.add(1, attributes)


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
