"""Fixtures for the telemetry tests: the receivers, and the app served with providers switched on
by environment variables, exactly as users switch them on."""

import contextlib
import subprocess
import sys

import pytest

from activities.tests.live_server import (
    PROJECT_DIR,
    database_url_for_server,
    running_server,
    server_environment,
)
from observability.tests.receivers import (
    MotoServer,
    OtlpReceiver,
    RollbarApi,
    XRayControlPlane,
    XRayDaemon,
)

# Credentials and settings that are fake by construction: nothing here reaches AWS or Rollbar.
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}
FAST_EXPORT = {
    "OTEL_BSP_SCHEDULE_DELAY": "100",
    "CLOUDWATCH_SEND_INTERVAL": "1",
    "AWS_XRAY_CENTRALIZED_SAMPLING": "false",
}
ROLLBAR_TOKEN = "rollbar-test-token-0123456789abcdef"
HONEYCOMB_KEY = "honeycomb-test-key-0123456789"


@pytest.fixture(autouse=True)
def no_instance_metadata(monkeypatch):
    """boto3's credential chain must never look for an EC2 instance role from a test."""
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def receiver_fixture(receiver_class):
    """A fixture that runs one receiver for the length of a test."""

    @pytest.fixture
    def fixture():
        with receiver_class() as receiver:
            yield receiver

    return fixture


otlp = receiver_fixture(OtlpReceiver)
daemon = receiver_fixture(XRayDaemon)
rollbar_api = receiver_fixture(RollbarApi)
xray_api = receiver_fixture(XRayControlPlane)
moto = receiver_fixture(MotoServer)


@pytest.fixture
def provider_env(otlp, daemon, rollbar_api, moto):
    """provider_env(*ids): variables switching those providers on, pointed at the receivers."""

    def variables(*providers, **extra):
        return {
            **FAKE_AWS,
            **FAST_EXPORT,
            "OBSERVABILITY_PROVIDERS": ",".join(providers),
            "OTEL_EXPORTER_OTLP_ENDPOINT": otlp.url,
            "HONEYCOMB_API_KEY": HONEYCOMB_KEY,
            "AWS_XRAY_DAEMON_ADDRESS": daemon.address,
            "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": moto.url,
            "ROLLBAR_ACCESS_TOKEN": ROLLBAR_TOKEN,
            "ROLLBAR_ENDPOINT": rollbar_api.endpoint,
            **extra,
        }

    return variables


@pytest.fixture(params=["otel", "sdk"])
def xray_source(request):
    """The X-Ray source (OBSERVABILITY_XRAY_SOURCE) of a test that takes this fixture, which runs
    once with each: segments built from the OpenTelemetry spans, and the X-Ray SDK's."""
    return request.param


def serving(tmp_path, database_url):
    """serve(**env): a context manager running the app under gunicorn with that environment, on
    the database that `database_url()` (a context manager) yields; yields its URL. The output is
    in tmp_path / "server.log"."""

    @contextlib.contextmanager
    def start(**variables):
        log_path = tmp_path / "server.log"
        with (
            database_url() as database,
            running_server(database, log_path=log_path, **variables) as url,
        ):
            yield url

    return start


@pytest.fixture
def serve(tmp_path):
    """serving() on a SQLite database of the test's own."""
    return serving(
        tmp_path, lambda: contextlib.nullcontext(f"sqlite:///{tmp_path / 'telemetry.sqlite3'}")
    )


@pytest.fixture
def serve_on_test_database_kind(tmp_path):
    """serving() on a database of the kind the tests run on: SQLite, or a scratch PostgreSQL
    database where DATABASE_URL points at PostgreSQL."""
    return serving(tmp_path, lambda: database_url_for_server(tmp_path))


@pytest.fixture
def manage(tmp_path):
    """manage(*args, **env): manage.py in a fresh process with that environment, on a SQLite
    database of the test's own unless `database_url=` names another."""

    def run(*args, database_url=None, **variables):
        database_url = database_url or f"sqlite:///{tmp_path / 'manage.sqlite3'}"
        env = server_environment(database_url, **variables)
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=PROJECT_DIR, env=env,
            capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    return run


@pytest.fixture
def finished_spans():
    """(a TracerProvider of the real SDK, the spans it finished, in the order they ended, as a
    span processor receives them)."""
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    class Finished(SpanProcessor):
        def __init__(self):
            self.spans = []

        def on_end(self, span):
            self.spans.append(span)

    finished = Finished()
    provider = TracerProvider()
    provider.add_span_processor(finished)
    yield provider, finished.spans
    provider.shutdown()
