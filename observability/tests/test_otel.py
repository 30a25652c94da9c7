"""OpenTelemetry through the real SDK to a local OTLP/HTTP receiver: the server span of each
request, the home.activities span with its attributes, the service name and the headers."""

import subprocess
import sys

import pytest
import requests

from activities.tests.live_server import PROJECT_DIR, free_port, server_environment
from observability.tests.conftest import HONEYCOMB_KEY
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server


def test_home_feed_spans_arrive_with_attributes_and_honeycomb_header(otlp, provider_env, serve):
    env = provider_env("otel", OTEL_EXPORTER_OTLP_HEADERS="x-team-tag=cruddur")
    with serve(**env) as url:
        assert requests.get(f"{url}/api/activities/home", timeout=10).status_code == 200
        wait_for(lambda: any(span["kind"] == 2 for span in otlp.spans()))
    # Read after the stop: a batch may leave mid-request, and the stop sends whatever is left.
    spans = otlp.spans()
    by_name = {span["name"]: span for span in spans}
    home = by_name["home-activities-mock-data"]
    assert home["scope"] == "home.activities"
    assert home["attributes"]["app.result_length"] in (4, "4")
    assert home["attributes"]["app.now"].startswith("20")
    server = next(
        span for span in spans if span["scope"].startswith("opentelemetry.instrumentation.django")
    )
    assert server["name"] == "GET /api/activities/home"
    assert server["kind"] == 2  # SERVER
    assert home["trace_id"] == server["trace_id"]
    for span in spans:
        assert span["service"] == "backend-django"
        assert span["headers"]["x-honeycomb-team"] == HONEYCOMB_KEY
        assert span["headers"]["x-team-tag"] == "cruddur"


def test_service_name_comes_from_otel_service_name(otlp, provider_env, serve):
    with serve(**provider_env("otel", OTEL_SERVICE_NAME="cruddur-api")) as url:
        requests.get(f"{url}/api/health-check", timeout=10)
        spans = wait_for(otlp.spans)
    assert {span["service"] for span in spans} == {"cruddur-api"}


def test_each_gunicorn_worker_exports_each_request_once(otlp, provider_env, serve):
    with serve(**provider_env("otel")) as url:
        for _ in range(12):
            requests.get(f"{url}/api/activities/@worf", timeout=10)
        wait_for(lambda: len([s for s in otlp.spans() if s["kind"] == 2]) >= 12)
    # Read after the stop, which sends whatever is left: a request exported twice would show.
    server_spans = [s for s in otlp.spans() if s["kind"] == 2]
    assert len(server_spans) == 12
    assert len({span["trace_id"] for span in server_spans}) == 12


def test_runserver_with_its_autoreloader_exports_from_the_serving_process(
    otlp, provider_env, tmp_path
):
    port = free_port()
    env = server_environment(f"sqlite:///{tmp_path / 'dev.sqlite3'}", **provider_env("otel"))
    subprocess.run(
        [sys.executable, "manage.py", "migrate"],
        cwd=PROJECT_DIR,
        env=env,
        check=True,
        capture_output=True,
    )
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}"],
        cwd=PROJECT_DIR, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        assert wait_for(lambda: _get(f"http://127.0.0.1:{port}/api/activities/home"), timeout=30)
        spans = wait_for(lambda: [s for s in otlp.spans() if s["kind"] == 2])
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert [span["name"] for span in spans] == ["GET /api/activities/home"]


def _get(url):
    try:
        return requests.get(url, timeout=2).status_code == 200
    except requests.ConnectionError:
        return False


def test_console_exporter_prints_spans(provider_env, serve, tmp_path):
    with serve(**provider_env("otel", OTEL_TRACES_EXPORTER="console")) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        log = tmp_path / "server.log"
        printed = wait_for(lambda: '"name": "home-activities-mock-data"' in log.read_text())
    assert printed


def test_the_instrumentation_runs_inside_observability_middleware_not_in_settings():
    """Its middleware is under the same fail-open protection as every provider's: settings'
    MIDDLEWARE stays as settings.py wrote it."""
    env = server_environment("sqlite:///unused.sqlite3", OBSERVABILITY_PROVIDERS="otel")
    script = (
        "import django; django.setup(); from django.conf import settings; "
        "from cruddur import settings as written; "
        "print(settings.MIDDLEWARE == written.MIDDLEWARE, settings.MIDDLEWARE[0])"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=PROJECT_DIR, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert result.stdout.split() == ["True", "observability.middleware.ObservabilityMiddleware"]
