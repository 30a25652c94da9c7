"""With no provider switched on, the app makes no telemetry traffic, prints nothing about it, and
its middleware is not in the chain at all."""

import json
import subprocess
import sys

import pytest
import requests
from django.core.exceptions import MiddlewareNotUsed
from django.test import override_settings

from activities.tests.live_server import PROJECT_DIR, server_environment
from observability.middleware import ObservabilityMiddleware
from observability.tests.receivers import wait_for


@pytest.mark.server
def test_no_provider_on_means_no_traffic_and_no_output(
    otlp, daemon, rollbar_api, moto, provider_env, serve, tmp_path
):
    env = provider_env(DJANGO_SETTINGS_MODULE="observability.tests.failing_settings")
    assert env["OBSERVABILITY_PROVIDERS"] == ""
    with serve(**env) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        requests.get(f"{url}/api/activities/@andrewbrown", timeout=10)
        requests.get(f"{url}/rollbar/test", timeout=10)
        requests.get(f"{url}/api/test/explode", timeout=10)
        wait_for(lambda: otlp.requests or daemon.datagrams or rollbar_api.requests, timeout=3)
    assert otlp.requests == []
    assert daemon.datagrams == []
    assert rollbar_api.requests == []
    assert moto.log_messages("cruddur") == []
    # The server's output, less the access log and the failing test view's own traceback lines.
    lines = [
        line.lower()
        for line in (tmp_path / "server.log").read_text().splitlines()
        if "HTTP/1.1" not in line and "observability/tests/" not in line
    ]
    for word in ("observability", "x-ray", "xray", "rollbar", "opentelemetry", "segment"):
        assert not [line for line in lines if word in line]


@override_settings(OBSERVABILITY={"providers": []})
def test_middleware_drops_out_of_the_chain_when_nothing_is_on():
    with pytest.raises(MiddlewareNotUsed):
        ObservabilityMiddleware(lambda request: None)


@pytest.mark.server
@pytest.mark.parametrize("provider", ["otel", "xray", "cloudwatch", "rollbar"])
def test_each_provider_switches_on_alone(
    provider, otlp, daemon, rollbar_api, moto, provider_env, serve
):
    with serve(**provider_env(provider)) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        requests.get(f"{url}/api/activities/@andrewbrown", timeout=10)
        requests.get(f"{url}/rollbar/test", timeout=10)
        arrived = {
            "otel": lambda: bool(otlp.requests),
            "xray": lambda: bool(daemon.datagrams),
            "cloudwatch": lambda: bool(moto.log_messages("cruddur")),
            "rollbar": lambda: bool(rollbar_api.requests),
        }
        assert wait_for(arrived[provider])
    assert {name for name, check in arrived.items() if check()} == {provider}


SDK_MODULES = (
    "watchtower", "boto3", "botocore", "rollbar", "aws_xray_sdk.core", "opentelemetry.sdk",
    "opentelemetry.instrumentation", "opentelemetry.exporter", "opentelemetry.propagators",
)  # fmt: skip
LOADED_AFTER_SETUP = f"""
import json, sys, django
django.setup()
print(json.dumps([name for name in {SDK_MODULES!r} if name in sys.modules]))
"""


@pytest.mark.parametrize(
    ("providers", "expected"),
    [
        ("", []),
        ("rollbar", ["rollbar"]),
        ("cloudwatch", ["watchtower", "boto3", "botocore"]),
    ],
)
def test_a_provider_that_is_off_loads_no_sdk(providers, expected):
    env = server_environment("sqlite:///unused.sqlite3", OBSERVABILITY_PROVIDERS=providers)
    env.update(AWS_DEFAULT_REGION="us-east-1", AWS_ACCESS_KEY_ID="x", AWS_SECRET_ACCESS_KEY="y")
    env["ROLLBAR_ACCESS_TOKEN"] = "token-for-the-test"
    result = subprocess.run(
        [sys.executable, "-c", LOADED_AFTER_SETUP], cwd=PROJECT_DIR, env=env,
        capture_output=True, text=True, check=True,
    )  # fmt: skip
    assert json.loads(result.stdout.splitlines()[-1]) == expected
