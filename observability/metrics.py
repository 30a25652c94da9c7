"""Request metrics: per route and status class, a request count, an error count (5xx answers)
and a latency histogram, aggregated in the process and exported once per interval by the
providers that take them (OpenTelemetry over OTLP, CloudWatch as EMF lines), never per request.

RequestMetricsMiddleware measures each request once, outermost in ObservabilityMiddleware, and
hands (route, status class, seconds) to each provider's recorder, which adds it to in-process
aggregates. Routes are templates (observability.routes); a path that resolves to no route counts
as UNMATCHED_ROUTE, so that a scan of random paths cannot make new series."""

import bisect
import itertools
import math
import os
import re
import threading
import time
from time import perf_counter

from django.core.checks import Warning

from observability.background import on_exit
from observability.conf import as_bool, conf
from observability.problems import problems
from observability.routes import request_route

UNMATCHED_ROUTE = "(unmatched)"
STATUS_CLASSES = {digit: f"{digit}xx" for digit in range(1, 6)}
ERROR_CLASS = "5xx"
DIMENSION_NAMES = ("Service", "Route", "StatusClass")
# CloudWatch's rule for a namespace; "AWS/" is AWS's own.
NAMESPACE_PATTERN = re.compile(r"^(?!AWS/)[A-Za-z0-9 .\-_/#:]{1,255}$")
# The latency grid, in milliseconds: 16 steps a decade from 0.1 ms to 100 s (97 points, each
# 15% above the last). OpenTelemetry's histogram buckets end at these points; EMF reports each
# latency as the nearest point, so a distribution never holds more than CloudWatch's 100 values.
STEPS_PER_DECADE = 16
FIRST_STEP, LAST_STEP = -STEPS_PER_DECADE, 5 * STEPS_PER_DECADE
LATENCY_GRID_MS = tuple(
    round(10 ** (step / STEPS_PER_DECADE), 4) for step in range(FIRST_STEP, LAST_STEP + 1)
)


# The log-scale midpoints between the grid's neighbouring points: a latency is nearest to the
# point of the first midpoint it does not exceed, or to the last point when it exceeds them all.
GRID_MIDPOINTS_MS = tuple(math.sqrt(a * b) for a, b in itertools.pairwise(LATENCY_GRID_MS))


def interval_seconds():
    """The seconds between exports, or None when the setting is no positive number."""
    try:
        seconds = float(conf.metrics["interval"])
    except (TypeError, ValueError):
        return None
    return seconds if 0 < seconds < float("inf") else None


def dimension_sets():
    """The EMF dimension sets: `[["Service", "Route", "StatusClass"]]` from that list, or from
    text ("Service,Route,StatusClass;Service"); None when any name is not in DIMENSION_NAMES."""
    value = conf.metrics["dimensions"]
    if isinstance(value, str):
        value = [part.split(",") for part in value.split(";")]
    try:
        sets = [[name.strip() for name in names] for names in value]
    except (TypeError, AttributeError):
        return None
    valid = all(names and set(names) <= set(DIMENSION_NAMES) for names in sets)
    return sets if sets and valid else None


def metrics_checks():
    """Warnings for request-metric settings that cannot work; any of them switches metrics off."""
    options, messages = conf.metrics, []
    if as_bool(options["enabled"]) is None:
        messages.append(_warning(f"OBSERVABILITY_METRICS {options['enabled']!r} is not on or off.",
                                 "Set it to on (the default) or off.", "W050"))  # fmt: skip
    if interval_seconds() is None:
        messages.append(_warning(
            f"OBSERVABILITY_METRICS_INTERVAL {options['interval']!r} is not a positive number "
            "of seconds.", "Set it to the seconds between exports, e.g. 60 (the default).", "W051",
        ))  # fmt: skip
    if not NAMESPACE_PATTERN.match(str(options["namespace"] or "")):
        messages.append(_warning(
            f"OBSERVABILITY_METRICS_NAMESPACE {options['namespace']!r} is not a CloudWatch "
            "namespace.", "Use up to 255 letters, digits, spaces and .-_/#: not starting with "
            "AWS/, e.g. Cruddur.", "W052",
        ))  # fmt: skip
    if dimension_sets() is None:
        messages.append(_warning(
            f"OBSERVABILITY_METRICS_DIMENSIONS {options['dimensions']!r} is not a list of "
            f"dimension sets of {', '.join(DIMENSION_NAMES)}.",
            "Separate names with commas and sets with semicolons, e.g. "
            "Service,Route,StatusClass;Service.", "W053",
        ))  # fmt: skip
    return messages


def _warning(message, hint, number):
    return Warning(f"Request metrics are off: {message}", hint=hint, id=f"observability.{number}")


def metrics_wanted():
    """True when request metrics are switched on and their settings can work."""
    return as_bool(conf.metrics["enabled"]) is True and not metrics_checks()


def metrics_status():
    """How `manage.py observability` describes the request metrics."""
    if as_bool(conf.metrics["enabled"]) is False:
        return "off"
    problems_found = metrics_checks()
    if problems_found:
        return "off: " + "; ".join(f"{m.msg} [{m.id}]" for m in problems_found)
    sets = ";".join(",".join(names) for names in dimension_sets())
    return (f"on, every {interval_seconds():g} s (EMF namespace {conf.metrics['namespace']}, "
            f"dimensions {sets}), with otel and cloudwatch")  # fmt: skip


def request_metrics_middleware(providers):
    """The middleware factory that feeds the request metrics of `providers` (those that take
    them), or None when none does or metrics are off."""
    if not metrics_wanted():
        return None
    recorders = []
    for provider in providers:
        try:
            recorder = provider.request_metrics()
        except Exception:
            problems.warn((provider.identifier, "metrics"),
                          "observability: %s takes no request metrics", provider.title,
                          exc_info=True)  # fmt: skip
            continue
        if recorder is not None:
            recorders.append(recorder)
    if not recorders:
        return None
    return type("RequestMetricsMiddleware", (RequestMetricsMiddleware,), {"recorders": recorders})


class RequestMetricsMiddleware:
    """Measures each request once, and hands its route, status class and seconds to each
    recorder (`recorders`, set on the subclass request_metrics_middleware makes)."""

    recorders = ()

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = perf_counter()
        response = self.get_response(request)
        seconds = perf_counter() - started
        route = request_route(request) or UNMATCHED_ROUTE
        status_class = STATUS_CLASSES.get(response.status_code // 100, "other")
        for record in self.recorders:
            try:
                record(route, status_class, seconds)
            except Exception:
                problems.warn(("metrics", "record"), "observability: %r failed", record,
                              exc_info=True)  # fmt: skip
        return response


class Series:
    """One route and status class's requests in an interval: how many, how many were errors,
    and their latencies' sum, least, greatest and count per bucket (`buckets` of them)."""

    __slots__ = ("buckets", "count", "errors", "high", "low", "total")

    def __init__(self, buckets):
        self.count = self.errors = 0
        self.total, self.low, self.high = 0.0, math.inf, 0.0
        self.buckets = [0] * buckets


class SeriesRecorder:
    """A recorder for RequestMetricsMiddleware: adds each request to the Series of its route and
    status class, under a lock; `take()` hands over the interval's series and begins the next.
    Subclasses set `scale`, the latency's units per second (1000: milliseconds), and `bounds`: a
    latency counts in the bucket of the first bound it does not exceed, or in the one after them
    all."""

    scale = 1
    bounds = ()

    def __init__(self):
        self.begin()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.begin)

    def begin(self):
        """Nothing counted yet. Also in a forked child (gunicorn's workers after --preload): the
        parent's series stay the parent's to report, and its lock may have been held by its
        flush at the fork, which would hold the child's first request for ever."""
        self.lock = threading.Lock()
        self.series = {}  # (route, status class): Series, since `self.since`
        self.since = time.time_ns()

    def __call__(self, route, status_class, seconds):
        latency = seconds * self.scale
        bucket = bisect.bisect_left(self.bounds, latency)
        with self.lock:
            series = self.series.get((route, status_class))
            if series is None:
                series = self.series[route, status_class] = Series(len(self.bounds) + 1)
            series.count += 1
            series.total += latency
            series.buckets[bucket] += 1
            if latency < series.low:
                series.low = latency
            if latency > series.high:
                series.high = latency
            if status_class == ERROR_CLASS:
                series.errors += 1

    def take(self):
        """The interval's series ({(route, status class): Series}), and the nanoseconds since
        the epoch when it began and ended."""
        now = time.time_ns()
        with self.lock:
            taken, self.series = self.series, {}
            since, self.since = self.since, now
        return taken, since, now


class PeriodicFlush:
    """Calls `flush()` every `interval` seconds from a daemon thread, and once more when the
    process stops (observability.background's exit hooks), in this process and in every process
    forked from it (gunicorn's --preload).

    With `exit_seconds`, that last flush runs in the thread too: it begins first among the exit
    hooks, so that it sends while the other senders send theirs, and the stop waits for it
    `exit_seconds` at most. Without, an exit hook calls it (for a flush that only hands its
    lines to another sender, which must have them before it sends its last)."""

    def __init__(self, name, flush, interval, exit_seconds=None):
        self.name, self.flush, self.interval = name, flush, interval
        self.exit_seconds = exit_seconds
        self.start()
        if hasattr(os, "register_at_fork"):
            os.register_at_fork(after_in_child=self.start)

    def start(self):
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self.run, name=self.name, daemon=True)
        self.thread.start()
        if self.exit_seconds is None:
            on_exit(self.stop)
        else:
            on_exit(self.stopped.set, first=True)
            on_exit(lambda: self.thread.join(self.exit_seconds))

    def run(self):
        while not self.stopped.wait(self.interval):
            self.flush_failing_open()
        if self.exit_seconds is not None:
            self.flush_failing_open()

    def stop(self):
        """The last flush, from the stopping process."""
        self.stopped.set()
        self.flush_failing_open()

    def flush_failing_open(self):
        try:
            self.flush()
        except Exception:
            problems.warn((self.name, "flush"), "observability: %s failed", self.name,
                          exc_info=True)  # fmt: skip
