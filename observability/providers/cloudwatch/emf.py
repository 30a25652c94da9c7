"""Request metrics as CloudWatch Embedded Metric Format: aggregated in the process, and written
once per interval (and when the process stops) as one JSON log line per route and status class,
through the CloudWatch Logs handler, from which CloudWatch extracts the metrics.

Each line carries `Requests` and `Errors` (5xx answers) as counts and `Latency` in milliseconds
as a distribution (Values and Counts, with Min, Max, Count and Sum), from which CloudWatch reads
percentiles. Values are points of a fixed grid (observability.metrics.LATENCY_GRID_MS), so a line
never holds more than the 100 values CloudWatch takes. No OpenTelemetry here: with CloudWatch on
alone, no OpenTelemetry SDK is loaded."""

import json
import logging

from observability.conf import conf
from observability.metrics import (
    GRID_MIDPOINTS_MS,
    LATENCY_GRID_MS,
    PeriodicFlush,
    SeriesRecorder,
    dimension_sets,
)

METRICS = [
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "Latency", "Unit": "Milliseconds"},
]


def latency(series):
    """A Series' Latency value: its grid points with their counts, and the rest."""
    points = [(point, n) for point, n in zip(LATENCY_GRID_MS, series.buckets, strict=True) if n]
    return {
        "Values": [point for point, _ in points], "Counts": [n for _, n in points],
        "Min": round(series.low, 3), "Max": round(series.high, 3),
        "Count": series.count, "Sum": round(series.total, 3),
    }  # fmt: skip


def emf_document(metrics, properties, timestamp_ms, dimensions=None):
    """One EMF document: `metrics` (its Metrics directives) with their values and the
    dimensions' values in `properties`."""
    directive = {
        "Namespace": conf.metrics["namespace"],
        "Dimensions": dimensions or dimension_sets(),
        "Metrics": metrics,
    }
    return json.dumps(
        {"_aws": {"Timestamp": timestamp_ms, "CloudWatchMetrics": [directive]}, **properties},
        separators=(",", ":"),
    )


class EmfRequestMetrics(SeriesRecorder):
    """The recorder CloudWatch's provider hands to RequestMetricsMiddleware: adds each request to
    its series (milliseconds, counted at the nearest grid point), and writes the series through
    `handler` every `interval` seconds."""

    scale = 1000
    bounds = GRID_MIDPOINTS_MS

    def __init__(self, handler, interval):
        super().__init__()
        self.handler = handler
        self.flusher = PeriodicFlush("cloudwatch-metrics", self.flush, interval)

    def flush(self):
        taken, _, now = self.take()
        for (route, status_class), series in taken.items():
            properties = {
                "Service": conf.service_name, "Route": route, "StatusClass": status_class,
                "Requests": series.count, "Errors": series.errors, "Latency": latency(series),
            }  # fmt: skip
            write_emf(self.handler, emf_document(METRICS, properties, now // 1_000_000))


def write_emf(handler, document):
    """Hands one EMF document to the CloudWatch handler, to be sent as it is (no log format)."""
    record = logging.LogRecord("observability.metrics", logging.INFO, __file__, 0, document, None,
                               None)  # fmt: skip
    handler.put_document(record)
