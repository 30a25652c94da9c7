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
import threading
import time

from observability.conf import conf
from observability.metrics import ERROR_CLASS, PeriodicFlush, dimension_sets, grid_point

METRICS = [
    {"Name": "Requests", "Unit": "Count"},
    {"Name": "Errors", "Unit": "Count"},
    {"Name": "Latency", "Unit": "Milliseconds"},
]


class Series:
    """One route and status class's requests in the interval."""

    __slots__ = ("count", "errors", "high", "low", "points", "total")

    def __init__(self):
        self.count = self.errors = 0
        self.total, self.low, self.high = 0.0, float("inf"), 0.0
        self.points = {}

    def add(self, milliseconds, error):
        self.count += 1
        self.errors += error
        self.total += milliseconds
        self.low = min(self.low, milliseconds)
        self.high = max(self.high, milliseconds)
        point = grid_point(milliseconds)
        self.points[point] = self.points.get(point, 0) + 1

    def latency(self):
        points = sorted(self.points)
        return {
            "Values": points, "Counts": [self.points[p] for p in points],
            "Min": round(self.low, 3), "Max": round(self.high, 3),
            "Count": self.count, "Sum": round(self.total, 3),
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


class EmfRequestMetrics:
    """The recorder CloudWatch's provider hands to RequestMetricsMiddleware: adds each request
    to its series, and writes the series through `handler` every `interval` seconds."""

    def __init__(self, handler, interval):
        self.handler = handler
        self.lock = threading.Lock()
        self.series = {}
        self.flusher = PeriodicFlush("cloudwatch-metrics", self.flush, interval)

    def __call__(self, route, status_class, seconds):
        with self.lock:
            series = self.series.get((route, status_class))
            if series is None:
                series = self.series[(route, status_class)] = Series()
            series.add(seconds * 1000.0, status_class == ERROR_CLASS)

    def flush(self):
        with self.lock:
            taken, self.series = self.series, {}
        timestamp_ms = int(time.time() * 1000)
        for (route, status_class), series in taken.items():
            properties = {
                "Service": conf.service_name, "Route": route, "StatusClass": status_class,
                "Requests": series.count, "Errors": series.errors, "Latency": series.latency(),
            }  # fmt: skip
            write_emf(self.handler, emf_document(METRICS, properties, timestamp_ms))


def write_emf(handler, document):
    """Hands one EMF document to the CloudWatch handler, to be sent as it is (no log format)."""
    record = logging.LogRecord("observability.metrics", logging.INFO, __file__, 0, document, None,
                               None)  # fmt: skip
    handler.put_document(record)
