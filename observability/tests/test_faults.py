"""A telemetry backend that refuses connections, never answers, answers after 10 s, or answers
500/429 never fails a request, never slows it, never floods the log and never holds shutdown."""

import collections
import re
import signal
import time

import pytest
import requests

from activities.tests.live_server import free_port, running_server
from observability.tests.conftest import FAKE_AWS, HONEYCOMB_KEY, ROLLBAR_TOKEN
from observability.tests.receivers import BlackHole, FailingHttp

pytestmark = pytest.mark.server

REQUESTS = 60
# A request of this app takes milliseconds; anything that waited on a faulty backend would
# take its timeout (one second or more).
SLOW_REQUEST_SECONDS = 0.75


class Refusing:
    """Nothing listens on this port."""

    def __init__(self):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.address = f"127.0.0.1:{self.port}"

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass


FAULTS = {
    "refusing": Refusing,
    "black-holed": BlackHole,
    "answering after 10 s": lambda: FailingHttp(status=200, delay=10),
    "answering 500": lambda: FailingHttp(status=500),
    "throttling (429)": lambda: FailingHttp(status=429),
}


def fault_environment(endpoint, xray_source):
    return {
        "OBSERVABILITY_XRAY_SOURCE": xray_source,
        **FAKE_AWS,
        "OBSERVABILITY_PROVIDERS": "otel,xray,cloudwatch,rollbar",
        "OTEL_EXPORTER_OTLP_ENDPOINT": endpoint.url,
        "OTEL_BSP_SCHEDULE_DELAY": "100",
        "HONEYCOMB_API_KEY": HONEYCOMB_KEY,
        "AWS_XRAY_DAEMON_ADDRESS": getattr(endpoint, "address", "127.0.0.1:9"),
        "AWS_XRAY_CENTRALIZED_SAMPLING": "false",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": endpoint.url,
        "CLOUDWATCH_SEND_INTERVAL": "1",
        "ROLLBAR_ACCESS_TOKEN": ROLLBAR_TOKEN,
        "ROLLBAR_ENDPOINT": f"{endpoint.url}/api/1/",
        "DJANGO_SETTINGS_MODULE": "observability.tests.failing_settings",
    }


def warning_lines(log):
    return [line for line in log.splitlines() if re.search(r" (WARNING|ERROR|CRITICAL) ", line)]


@pytest.mark.parametrize("fault", list(FAULTS))
def test_a_faulty_backend_never_fails_slows_floods_or_holds_shutdown(fault, tmp_path, xray_source):
    log_path = tmp_path / "server.log"
    database = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    with FAULTS[fault]() as endpoint:
        server = running_server(
            database, log_path=log_path, **fault_environment(endpoint, xray_source)
        )
        url = server.__enter__()
        session = requests.Session()
        assert session.get(f"{url}/api/activities/home", timeout=30).status_code == 200
        durations, statuses = [], collections.Counter()
        for i in range(REQUESTS):
            path = ["/api/activities/home", "/api/activities/@andrewbrown", "/rollbar/test"][i % 3]
            started = time.monotonic()
            statuses[session.get(f"{url}{path}", timeout=30).status_code] += 1
            durations.append(time.monotonic() - started)
        assert session.get(f"{url}/api/test/explode", timeout=30).status_code == 500
        time.sleep(2)  # let the exporters meet the fault

        process = url.process
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
        shutdown_seconds = time.monotonic() - started
        server.__exit__(None, None, None)

    assert statuses == {200: REQUESTS}
    assert max(durations) < SLOW_REQUEST_SECONDS, sorted(durations)[-5:]
    assert shutdown_seconds < 5, shutdown_seconds
    log = log_path.read_text()
    # The one traceback is the failing view's own (django.request logs it); none from telemetry.
    assert log.count("Traceback") == log.count("Internal Server Error: /api/test/explode") == 1
    # At most one complaint per SDK per worker process (two workers) in this minute.
    complaints = collections.Counter(
        line.split()[3].split(".", 1)[0]
        for line in warning_lines(log)
        if "django.request" not in line
    )
    assert all(count <= 2 for package, count in complaints.items() if package != "observability"), (
        complaints
    )
