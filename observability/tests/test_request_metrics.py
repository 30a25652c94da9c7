"""Request metrics on the wire: requests served by gunicorn, then the OTLP metrics protobuf and
the EMF lines in moto's log events decoded, per route and status class: counts, errors and the
latency histogram; exported per interval or at the stop, never per request; off when switched
off; with CloudWatch alone, no OpenTelemetry SDK."""

import collections
import json
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import requests
from django.test import override_settings

from activities.tests.live_server import PROJECT_DIR, server_environment
from observability.metrics import LATENCY_GRID_MS, UNMATCHED_ROUTE, SeriesRecorder, metrics_checks
from observability.tests.conftest import HONEYCOMB_KEY
from observability.tests.receivers import wait_for
from observability.tests.test_worker_stop import stop_at_once

FAILING = {"DJANGO_SETTINGS_MODULE": "observability.tests.failing_settings"}
# Only the stop's flush can deliver: the interval is an hour.
AT_STOP_ONLY = {"OBSERVABILITY_METRICS_INTERVAL": "3600", **FAILING}
HOME, USER_FEED, EXPLODE = "/api/activities/home", "/api/activities/@{handle}", "/api/test/explode"
# (path, times) served, and what they count as: {(route, status class): requests}.
TRAFFIC = [
    ("/api/activities/home", 3),
    ("/api/activities/@andrewbrown", 2),
    ("/api/activities/@worf", 1),
    ("/api/activities/@nobody", 1),
    ("/api/no-such-path-1", 1),
    ("/api/no-such-path-2", 1),
    ("/wp-login.php", 1),
    ("/api/test/explode", 2),
]
EXPECTED = {
    (HOME, "2xx"): 3,
    (USER_FEED, "2xx"): 3,
    (USER_FEED, "4xx"): 1,
    (UNMATCHED_ROUTE, "4xx"): 3,
    (EXPLODE, "5xx"): 2,
}
EXPECTED_ERRORS = {(EXPLODE, "5xx"): 2}
OTEL_NAMES = {"http.server.requests", "http.server.errors", "http.server.request.duration"}

pytestmark = pytest.mark.server


def serve_traffic(url):
    with requests.Session() as session:
        for path, times in TRAFFIC:
            for _ in range(times):
                session.get(f"{url}{path}", timeout=10)


def otel_series(points, name, field):
    """{(route, status class): the sum of `field` over the points of metric `name`}."""
    totals = collections.Counter()
    for point in points:
        if point["name"] == name:
            key = (
                point["attributes"]["http.route"],
                point["attributes"]["http.response.status_class"],
            )
            totals[key] += point[field]
    return dict(totals)


def test_otlp_metrics_per_route_and_status_class_arrive_at_the_stop(otlp, provider_env, serve):
    with serve(**provider_env("otel", **AT_STOP_ONLY)) as url:
        serve_traffic(url)
        assert wait_for(otlp.spans)  # the spans leave meanwhile; the metrics wait for the stop
        time.sleep(1)
        assert otlp.metric_points() == []
        stop_at_once(url)

    points = otlp.metric_points()
    assert {point["name"] for point in points} == OTEL_NAMES  # none of the instrumentation's
    assert {point["scope"] for point in points} == {"observability.request_metrics"}
    assert {point["temporality"] for point in points} == {1}  # DELTA
    assert {point["headers"]["x-honeycomb-team"] for point in points} == {HONEYCOMB_KEY}
    assert otel_series(points, "http.server.requests", "value") == EXPECTED
    assert otel_series(points, "http.server.errors", "value") == EXPECTED_ERRORS
    assert otel_series(points, "http.server.request.duration", "count") == EXPECTED
    for point in points:
        if point["kind"] == "histogram":
            assert point["unit"] == "s"
            assert point["explicit_bounds"] == [p / 1000 for p in LATENCY_GRID_MS]
            assert sum(point["bucket_counts"]) == point["count"]
            assert 0 < point["sum"] < point["count"] * 10


def emf_series(documents, field):
    totals = collections.Counter()
    for document in documents:
        totals[(document["Route"], document["StatusClass"])] += document[field]
    return dict(totals)


def test_emf_lines_per_route_and_status_class_arrive_at_the_stop(moto, provider_env, serve):
    env = provider_env(
        "cloudwatch", OBSERVABILITY_METRICS_NAMESPACE="CruddurTest",
        OBSERVABILITY_METRICS_DIMENSIONS="Service,Route,StatusClass;Service", **AT_STOP_ONLY,
    )  # fmt: skip
    with serve(**env) as url:
        serve_traffic(url)
        assert wait_for(lambda: len(moto.log_messages("cruddur")) >= 14)  # the request lines
        time.sleep(1)
        assert moto.emf_documents("cruddur") == []
        stop_at_once(url)

    documents = moto.emf_documents("cruddur")
    for document in documents:
        [directive] = document["_aws"]["CloudWatchMetrics"]
        assert directive == {
            "Namespace": "CruddurTest",
            "Dimensions": [["Service", "Route", "StatusClass"], ["Service"]],
            "Metrics": [
                {"Name": "Requests", "Unit": "Count"},
                {"Name": "Errors", "Unit": "Count"},
                {"Name": "Latency", "Unit": "Milliseconds"},
            ],
        }
        assert document["Service"] == "backend-django"
        latency = document["Latency"]
        assert latency["Count"] == sum(latency["Counts"]) == document["Requests"]
        assert latency["Values"] == sorted(latency["Values"])
        assert len(latency["Values"]) <= 100
        assert set(latency["Values"]) <= set(LATENCY_GRID_MS)
        assert 0 < latency["Min"] <= latency["Max"]
        assert latency["Sum"] >= latency["Min"]
    # One line per route and status class from each of the two workers, at most.
    lines = collections.Counter((d["Route"], d["StatusClass"]) for d in documents)
    assert max(lines.values()) <= 2
    assert emf_series(documents, "Requests") == EXPECTED
    errors = {key: count for key, count in emf_series(documents, "Errors").items() if count}
    assert errors == EXPECTED_ERRORS


def test_metrics_leave_once_per_interval_while_the_server_runs(otlp, moto, provider_env, serve):
    env = provider_env("otel", "cloudwatch", OBSERVABILITY_METRICS_INTERVAL="1")
    with serve(**env) as url:
        for _ in range(4):
            requests.get(f"{url}/api/activities/home", timeout=10)
        assert wait_for(lambda: otel_series(otlp.metric_points(), "http.server.requests", "value"))
        assert wait_for(lambda: moto.emf_documents("cruddur"))
        time.sleep(2.5)  # two more intervals, with no request: nothing more to say
        exports = len([r for r in otlp.requests if r["path"] == "/v1/metrics"])
        stop_at_once(url)
    requests_counted = otel_series(otlp.metric_points(), "http.server.requests", "value")
    assert requests_counted == {(HOME, "2xx"): 4}  # deltas: no request counted twice
    assert emf_series(moto.emf_documents("cruddur"), "Requests") == {(HOME, "2xx"): 4}
    # Per interval, not per request: at most one export per worker and interval went out.
    assert exports <= 2 * 8


def test_metrics_switched_off_send_nothing(otlp, moto, provider_env, serve):
    env = provider_env("otel", "cloudwatch", OBSERVABILITY_METRICS="off")
    with serve(**env) as url:
        serve_traffic(url)
        assert wait_for(otlp.spans)
        stop_at_once(url)
    assert otlp.metric_points() == []
    assert moto.emf_documents("cruddur") == []
    assert any("/api/activities/home" in line for line in moto.log_messages("cruddur"))


LOADED_WITH_THE_APP = """
import json, sys
from django.core.wsgi import get_wsgi_application
get_wsgi_application()  # builds the middleware, and with it the recorders
from observability.providers.registry import provider
print(json.dumps([
    [name for name in sys.modules if name.startswith("opentelemetry.sdk")],
    type(provider("cloudwatch").metrics_recorder).__name__,
]))
"""


def test_cloudwatch_alone_records_metrics_without_the_opentelemetry_sdk():
    env = server_environment("sqlite:///unused.sqlite3", OBSERVABILITY_PROVIDERS="cloudwatch")
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    result = subprocess.run(
        [sys.executable, "-c", LOADED_WITH_THE_APP], cwd=PROJECT_DIR, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout.splitlines()[-1]) == [[], "EmfRequestMetrics"]


@pytest.mark.parametrize(
    ("option", "value", "check_id"),
    [
        ("enabled", "sometimes", "observability.W050"),
        ("interval", "0", "observability.W051"),
        ("interval", "a minute", "observability.W051"),
        ("namespace", "AWS/Lambda", "observability.W052"),
        ("namespace", "", "observability.W052"),
        ("dimensions", "Service,Host", "observability.W053"),
        ("dimensions", "", "observability.W053"),
    ],
)
def test_a_bad_metrics_setting_is_named_and_switches_metrics_off(option, value, check_id):
    with override_settings(OBSERVABILITY={"metrics": {option: value}}):
        assert [message.id for message in metrics_checks()] == [check_id]
    assert metrics_checks() == []


def test_the_latency_grid_keeps_a_distribution_within_cloudwatchs_100_values():
    from observability.providers.cloudwatch.emf import EmfRequestMetrics, latency

    class Recorder(SeriesRecorder):  # EMF's aggregation, without its timer and handler
        scale, bounds = EmfRequestMetrics.scale, EmfRequestMetrics.bounds

    assert len(LATENCY_GRID_MS) == 97
    # 4,000 latencies spread evenly on a log scale from 1 µs to 1,000 s, each counted at the
    # grid point nearest on a log scale (from 0.1 ms to 100 s, 16 points a decade).
    recorder, expected = Recorder(), collections.Counter()
    latencies = [10 ** (-3 + step / 4000 * 9) for step in range(4000)]
    for milliseconds in latencies:
        recorder("/", "2xx", milliseconds / 1000)
        expected[min(LATENCY_GRID_MS, key=lambda point: abs(math.log(point / milliseconds)))] += 1
    taken, _, _ = recorder.take()
    [series] = taken.values()
    shown = latency(series)
    assert dict(zip(shown["Values"], shown["Counts"], strict=True)) == expected
    assert shown["Values"][0] == 0.1
    assert shown["Values"][-1] == 100_000
    assert (shown["Count"], shown["Min"], shown["Max"]) == (4000, 0.001, round(latencies[-1], 3))
    assert shown["Sum"] == pytest.approx(sum(latencies))


def test_a_failing_recorder_neither_fails_the_request_nor_stops_the_others(rf):
    from django.http import HttpResponse

    from observability.metrics import RequestMetricsMiddleware

    recorded = []

    def failing(route, status_class, seconds):
        raise RuntimeError("backend gone")

    class Middleware(RequestMetricsMiddleware):
        recorders = [failing, lambda *measured: recorded.append(measured)]

    response = Middleware(lambda request: HttpResponse(status=503))(rf.get("/nowhere"))
    assert response.status_code == 503
    [(route, status_class, seconds)] = recorded
    assert (route, status_class) == (UNMATCHED_ROUTE, "5xx")
    assert 0 <= seconds < 1


def test_the_otlp_aggregation_on_the_wire_interval_by_interval(otlp):
    """In-process, with the SDK's OTLP exporter: the histogram's buckets, sum, min and max are
    the latencies recorded; each interval follows the last; an idle series counts 0 requests
    and no latency; the stop exports once more."""
    from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

    from observability.providers.otel.metrics import BOUNDS, OtlpRequestMetrics

    with override_settings(OBSERVABILITY={"release": "r-123", "service_name": "metrics-test"}):
        exporter = OTLPMetricExporter(endpoint=f"{otlp.url}/v1/metrics", timeout=5)
        recorder = OtlpRequestMetrics(exporter, 3600)  # no export but those asked for here
    latencies = [0.0031, 0.0031, 0.25, 200.0]  # the last beyond every bound
    for seconds in latencies:
        recorder(HOME, "2xx", seconds)
    recorder(EXPLODE, "5xx", BOUNDS[10])  # on a bound: counts in that bound's bucket
    recorder.flush()
    first = otlp.metric_points()
    recorder(EXPLODE, "5xx", 0.5)
    recorder.flush()
    second = otlp.metric_points()[len(first) :]
    recorder.flusher.stopped.set()  # as the process's stop does: the thread exports once more
    recorder.flusher.thread.join(5)
    last = otlp.metric_points()[len(first) + len(second) :]

    assert {(p["service"], p["version"], p["scope"]) for p in first} == {
        ("metrics-test", "r-123", "observability.request_metrics")
    }
    histograms = [p for p in first if p["kind"] == "histogram"]
    [home] = [p for p in histograms if p["attributes"]["http.route"] == HOME]
    expected = [0] * (len(BOUNDS) + 1)
    for seconds in latencies:
        expected[next((i for i, bound in enumerate(BOUNDS) if seconds <= bound), len(BOUNDS))] += 1
    assert home["bucket_counts"] == expected
    assert (home["count"], home["min"], home["max"]) == (4, 0.0031, 200.0)
    assert home["sum"] == pytest.approx(sum(latencies))
    [exploded] = [p for p in histograms if p is not home]
    assert exploded["bucket_counts"][10] == 1 == exploded["count"]
    assert otel_series(first, "http.server.errors", "value") == {(EXPLODE, "5xx"): 1}
    assert {p["temporality"] for p in first} == {1}  # delta
    assert {p["monotonic"] for p in first if p["kind"] == "sum"} == {True}

    assert otel_series(second, "http.server.requests", "value") == {
        (HOME, "2xx"): 0, (EXPLODE, "5xx"): 1,
    }  # fmt: skip
    assert otel_series(second, "http.server.errors", "value") == {(EXPLODE, "5xx"): 1}
    [latency] = [p for p in second if p["kind"] == "histogram"]
    assert (latency["attributes"]["http.route"], latency["min"], latency["max"]) == (
        EXPLODE, 0.5, 0.5,
    )  # fmt: skip
    [(start, end)] = {(p["start"], p["end"]) for p in second}
    assert {p["end"] for p in first} == {start}
    assert start < end
    assert otel_series(last, "http.server.requests", "value") == {
        (HOME, "2xx"): 0, (EXPLODE, "5xx"): 0,
    }  # fmt: skip
    assert not recorder.flusher.thread.is_alive()


def test_a_forked_worker_counts_from_nothing_even_when_the_fork_caught_the_lock_held():
    """gunicorn forks its workers from a master that loaded the app (--preload): the child must
    neither report the parent's series nor wait for a lock the parent's flush held at the fork."""

    class Recorder(SeriesRecorder):
        bounds = (0.1, 1.0)

    recorder = Recorder()
    recorder("/parent", "2xx", 0.5)
    with recorder.lock:  # as when the parent's flush thread holds it at the fork
        child = os.fork()
        if child == 0:  # the child: exits 0 when it counted its own request alone, in time
            signal.alarm(5)  # a lock held for ever ends the child with SIGALRM
            recorder("/child", "2xx", 0.05)
            taken, _, _ = recorder.take()
            counted = {route: series.count for (route, _), series in taken.items()}
            os._exit(0 if counted == {"/child": 1} else 1)
    _, status = os.waitpid(child, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    taken, _, _ = recorder.take()
    assert [series.count for series in taken.values()] == [1]  # the parent's, still its own
