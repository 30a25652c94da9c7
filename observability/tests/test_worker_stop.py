"""Nothing accepted is lost when a process stops: SIGTERM right after the last request, as a
deploy sends it, and that request's span, segment, log line, Rollbar item and request metrics
(OTLP and EMF, an interval early) all arrive; with every backend black-holed the stop still takes
under 5 s."""

import signal
import time

import pytest
import requests

from observability.tests.receivers import BlackHole, wait_for

pytestmark = pytest.mark.server

ALL_FOUR = ("otel", "xray", "cloudwatch", "rollbar")
# Nothing leaves on a timer before the stop: only the stop's flush can deliver it.
NO_TIMERS = {
    "OTEL_BSP_SCHEDULE_DELAY": "60000",
    "CLOUDWATCH_SEND_INTERVAL": "60",
    "OBSERVABILITY_METRICS_INTERVAL": "60",
}


def stop_at_once(url):
    """SIGTERM to gunicorn's master; the seconds until it has exited."""
    started = time.monotonic()
    url.process.send_signal(signal.SIGTERM)
    url.process.wait(timeout=30)
    return time.monotonic() - started


def test_the_last_requests_telemetry_arrives_after_an_immediate_sigterm(
    otlp, daemon, moto, rollbar_api, provider_env, serve, xray_source
):
    env = provider_env(*ALL_FOUR, OBSERVABILITY_XRAY_SOURCE=xray_source, **NO_TIMERS)
    with serve(**env) as url:
        response = requests.get(f"{url}/rollbar/test", timeout=10)
        assert response.status_code == 200
        stop_at_once(url)
    root = response.headers["X-Amzn-Trace-Id"].split(";")[0].removeprefix("Root=")

    wait_for(lambda: rollbar_api.items(), timeout=10)
    [item] = rollbar_api.items()
    assert item["data"]["body"]["message"]["body"] == "Hello World!"
    assert [doc["trace_id"] for doc in daemon.segments() if "trace_id" in doc] == [root]
    assert {span["trace_id"] for span in otlp.spans()} == {root[2:].replace("-", "")}
    lines = moto.log_messages("cruddur")
    request_lines = [line for line in lines if "/rollbar/test" in line and "_aws" not in line]
    assert len(request_lines) == 1, lines
    requests_counted = [
        (point["attributes"]["http.route"], point["value"])
        for point in otlp.metric_points()
        if point["name"] == "http.server.requests"
    ]
    assert requests_counted == [("/rollbar/test", 1)]
    emf = [
        (doc["Route"], doc["StatusClass"], doc["Requests"]) for doc in moto.emf_documents("cruddur")
    ]
    assert emf == [("/rollbar/test", "2xx", 1)]


@pytest.mark.parametrize(
    ("xray_source", "xray_transport"), [("otel", "udp"), ("sdk", "udp"), ("otel", "otlp")]
)
def test_a_stop_right_after_a_request_takes_under_5_s_with_every_backend_black_holed(
    serve, xray_source, xray_transport
):
    with BlackHole() as hole:
        variables = {
            "OBSERVABILITY_PROVIDERS": ",".join(ALL_FOUR),
            "OTEL_EXPORTER_OTLP_ENDPOINT": hole.url,
            "HONEYCOMB_API_KEY": "honeycomb-test-key-0123456789",
            "AWS_XRAY_DAEMON_ADDRESS": hole.address,
            "AWS_XRAY_CENTRALIZED_SAMPLING": "false",
            "OBSERVABILITY_XRAY_SOURCE": xray_source,
            "OBSERVABILITY_XRAY_TRANSPORT": xray_transport,
            "AWS_ENDPOINT_URL_XRAY": hole.url,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": hole.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "ROLLBAR_ACCESS_TOKEN": "rollbar-test-token-0123456789abcdef",
            "ROLLBAR_ENDPOINT": f"{hole.url}/api/1/",
            **NO_TIMERS,
        }
        with serve(**variables) as url:
            for path in ("/api/activities/home", "/rollbar/test"):
                assert requests.get(f"{url}{path}", timeout=10).status_code == 200
            seconds = stop_at_once(url)
            print(f"stopped in {seconds:.2f} s")
            assert seconds < 5
