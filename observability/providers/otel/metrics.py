"""Request metrics as OpenTelemetry metrics, exported over OTLP/HTTP (/v1/metrics of the traces'
endpoint, with their headers) by the SDK's metric exporter once per interval, and once more when
the process stops.

The aggregation is ours (OtlpRequestMetrics), not the SDK's MeterProvider: a request adds to its
series' counts and histogram bucket under a lock, where the SDK's `Histogram.record` cost some
50,000 instructions per request (a Measurement, `_clean_attribute_value`, the attribute hashing
of `_view_instrument_match`), half of what the issue allows request metrics in all. Once per
interval the series are written as the SDK's own data points (opentelemetry.sdk.metrics.export)
and handed to its OTLPMetricExporter, which encodes and sends them as it would the SDK's.

Temporality is delta: Honeycomb stores each data point as an event, so with deltas SUM() of the
counters and the histogram's percentiles read per time bucket, across workers, directly; with
cumulative totals every worker's running total would need RATE_SUM() and would restart with the
worker (gunicorn's max-requests recycling). The request counter reports every series the process
has seen each interval, 0 when idle (at most one per route and status class); errors and
latencies only the series that had some.

Nothing here touches the global meter provider: the Django instrumentation's own instruments
(http.server.duration, keyed by the raw target of every unmatched path, and
http.server.active_requests) stay no-ops (tracing.instrument_django), so nothing is counted twice
and no series per URL leaves the process."""

import time

from opentelemetry.sdk.metrics.export import AggregationTemporality

from observability.metrics import LATENCY_GRID_MS, PeriodicFlush, SeriesRecorder

DELTA = AggregationTemporality.DELTA
SCOPE = "observability.request_metrics"
# Seconds the stopping process waits for the last export (in the flush's own thread, begun
# first: a collector that is down delays the stop by this much at most).
EXIT_SECONDS = 1.0
ROUTE, STATUS_CLASS = "http.route", "http.response.status_class"
# The histogram's bucket bounds, in seconds.
BOUNDS = tuple(point / 1000 for point in LATENCY_GRID_MS)
REQUESTS = dict(name="http.server.requests", unit="{request}", description="Requests served.")
ERRORS = dict(name="http.server.errors", unit="{request}", description="Requests answered 5xx.")
DURATION = dict(
    name="http.server.request.duration", unit="s", description="Time to answer a request."
)
SEND_TEST = dict(name="observability.send_test", unit="", description="")


def metric_exporter(provider):
    """The otel provider's metric exporter: OTLP/HTTP beside its traces, or the console."""
    if provider.options["exporter"] == "console":
        from opentelemetry.sdk.metrics.export import ConsoleMetricExporter

        return ConsoleMetricExporter()
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    from observability.providers.otel import EXPORT_TIMEOUT

    return OTLPMetricExporter(
        endpoint=f"{provider.endpoint()}/v1/metrics",
        headers=provider.headers(),
        timeout=EXPORT_TIMEOUT,
    )


class OtlpRequestMetrics(SeriesRecorder):
    """The recorder the otel provider hands to RequestMetricsMiddleware: adds each request to its
    series (seconds, in the histogram's buckets), and exports the interval's series through
    `exporter` every `interval` seconds (and when the process stops)."""

    bounds = BOUNDS

    def __init__(self, exporter, interval):
        from opentelemetry.sdk.util.instrumentation import InstrumentationScope

        from observability.providers.otel.tracing import service_resource

        super().__init__()
        self.exporter = exporter
        self.resource = service_resource()
        self.scope = InstrumentationScope(SCOPE)
        self.flusher = PeriodicFlush("otel-metrics", self.flush, interval, EXIT_SECONDS)

    def begin(self):
        super().begin()
        self.seen = {}  # (route, status class): its attributes, for every series counted

    def take(self):
        taken, since, now = super().take()
        for route, status_class in taken:
            if (route, status_class) not in self.seen:
                self.seen[route, status_class] = {ROUTE: route, STATUS_CLASS: status_class}
        return taken, since, now

    def flush(self):
        taken, since, now = self.take()
        if self.seen:
            self.exporter.export(self.metrics_data(taken, since, now))

    def metrics_data(self, taken, since, now):
        """The interval's series as the SDK's MetricsData: requests for every series seen,
        errors and the latency histogram for those that had some."""
        from opentelemetry.sdk.metrics.export import Histogram, Metric

        requests = {key: taken[key].count if key in taken else 0 for key in self.seen}
        errors = {key: series.errors for key, series in taken.items() if series.errors}
        metrics = [counter(REQUESTS, requests, self.seen, since, now)]
        if errors:
            metrics.append(counter(ERRORS, errors, self.seen, since, now))
        if taken:
            points = [histogram_point(s, self.seen[key], since, now) for key, s in taken.items()]
            histogram = Histogram(points, aggregation_temporality=DELTA)
            metrics.append(Metric(**DURATION, data=histogram))
        return metrics_data(self.resource, self.scope, metrics)


def histogram_point(series, attributes, since, now):
    """The SDK's histogram data point of a Series."""
    from opentelemetry.sdk.metrics.export import HistogramDataPoint

    return HistogramDataPoint(
        attributes, since, now, count=series.count, sum=series.total,
        bucket_counts=series.buckets, explicit_bounds=BOUNDS, min=series.low, max=series.high,
    )  # fmt: skip


def counter(metric, values, attributes, since, now):
    """A delta counter `metric` ({name, unit, description}) of `values` ({key: value}), each
    point with `attributes[key]`."""
    from opentelemetry.sdk.metrics.export import Metric, NumberDataPoint, Sum

    points = [NumberDataPoint(attributes[key], since, now, value) for key, value in values.items()]
    return Metric(**metric, data=Sum(points, aggregation_temporality=DELTA, is_monotonic=True))


def metrics_data(resource, scope, metrics):
    from opentelemetry.sdk.metrics.export import MetricsData, ResourceMetrics, ScopeMetrics

    scoped = ScopeMetrics(scope, metrics, schema_url="")
    return MetricsData([ResourceMetrics(resource, [scoped], schema_url="")])


def start_request_metrics(provider, interval_seconds):
    """This process's request-metric recorder, exporting every `interval_seconds`."""
    return OtlpRequestMetrics(metric_exporter(provider), interval_seconds)


def send_test_metric(provider):
    """Exports one data point of `observability.send_test` now; True when the exporter says it
    was accepted."""
    from opentelemetry.sdk.metrics.export import MetricExportResult
    from opentelemetry.sdk.util.instrumentation import InstrumentationScope

    from observability.providers.otel.tracing import service_resource

    now = time.time_ns()
    metric = counter(SEND_TEST, {"test": 1}, {"test": {}}, now, now)
    data = metrics_data(service_resource(), InstrumentationScope(SCOPE), [metric])
    return metric_exporter(provider).export(data) == MetricExportResult.SUCCESS
