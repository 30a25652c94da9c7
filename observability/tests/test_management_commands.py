"""`manage.py observability` (status, --send-test) and `manage.py xray_resources`, run as users run
them, against the local receivers."""

import json
import re

import pytest

from activities.tests.live_server import PROJECT_DIR
from observability.tests.conftest import HONEYCOMB_KEY, ROLLBAR_TOKEN
from observability.tests.receivers import wait_for

ALL = ("otel", "xray", "cloudwatch", "rollbar")
RULES_FILE = PROJECT_DIR / "aws" / "json" / "xray.json"


def test_status_shows_every_provider_with_secrets_masked(manage, provider_env):
    result = manage("observability", **provider_env(*ALL))
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for title in (
        "OpenTelemetry (otel): on",
        "AWS X-Ray (xray): on",
        "CloudWatch Logs (cloudwatch): on",
    ):
        assert title in out
    assert "Rollbar (rollbar): on" in out
    assert "request metrics: on, every 60 s (EMF namespace Cruddur, dimensions " in out
    assert ROLLBAR_TOKEN not in out
    assert HONEYCOMB_KEY not in out
    assert "****" in out


def test_status_says_off_and_why_a_provider_stands_aside(manage, provider_env):
    result = manage("observability", **provider_env("rollbar", ROLLBAR_ACCESS_TOKEN=""))
    assert "OpenTelemetry (otel): off" in result.stdout
    assert "Rollbar (rollbar): on, but standing aside" in result.stdout
    assert "observability.W040" in result.stdout


def test_status_says_when_request_metrics_are_off_and_why(manage, provider_env):
    result = manage("observability", **provider_env("otel", OBSERVABILITY_METRICS_INTERVAL="-1"))
    assert "request metrics: off: Request metrics are off: OBSERVABILITY_METRICS_INTERVAL" in (
        result.stdout
    )
    assert "[observability.W051]" in result.stdout
    result = manage("observability", **provider_env("otel", OBSERVABILITY_METRICS="off"))
    assert "request metrics: off\n" in result.stdout


@pytest.mark.server
def test_send_test_reaches_every_receiver(manage, provider_env, otlp, daemon, rollbar_api, moto):
    result = manage("observability", "--send-test", **provider_env(*ALL))
    assert result.returncode == 0, result.stdout + result.stderr
    for identifier in ALL:
        assert f"{identifier}: arrived" in result.stdout
    assert [span["name"] for span in otlp.spans()] == ["send-test"]
    assert [(p["name"], p["value"]) for p in otlp.metric_points()] == [
        ("observability.send_test", 1)
    ]
    assert "otel: arrived: a span and a metric accepted by" in result.stdout
    assert "cloudwatch: arrived: a log line and an EMF metric line read back" in result.stdout
    [emf] = moto.emf_documents("cruddur")
    assert emf["SendTest"] == 1
    assert emf["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Cruddur"
    assert wait_for(lambda: [d["name"] for d in daemon.segments()]) == ["send-test"]
    assert [item["data"]["body"]["message"]["body"] for item in rollbar_api.items()] == [
        "observability send-test"
    ]
    assert any("observability send-test" in m for m in moto.log_messages("cruddur"))


@pytest.mark.server
def test_send_test_reports_what_did_not_arrive_and_why(
    manage, provider_env, otlp, rollbar_api, daemon
):
    otlp.__exit__()
    rollbar_api.__exit__()
    daemon.__exit__()
    result = manage("observability", "--send-test", **provider_env("otel", "xray", "rollbar"))
    assert result.returncode == 1
    lines = {line.split(":", 1)[0].strip(): line for line in result.stdout.splitlines()}
    for identifier in ("otel", "xray", "rollbar"):
        assert f"{identifier}: NOT arrived" in lines[identifier]
    # Why, in words, never cut mid-word.
    assert "ConnectionRefusedError: [Errno 111] Connection refused" in lines["otel"]
    assert "unacknowledged" in lines["xray"]
    assert "does not answer on TCP (ConnectionRefusedError" in lines["xray"]
    assert "Connection refused" in lines["rollbar"]
    for line in lines.values():
        assert not re.search(r"\w\.\.\.$", line), line


def test_xray_resources_creates_group_and_rule_then_updates_them(manage, xray_api):
    env = {"AWS_ENDPOINT_URL_XRAY": xray_api.url, "AWS_ACCESS_KEY_ID": "testing",
           "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    first = manage("xray_resources", **env)
    assert first.returncode == 0, first.stderr
    assert "group Cruddur: created" in first.stdout
    assert "sampling rule Cruddur: created" in first.stdout
    assert xray_api.groups == {
        "Cruddur": {"GroupName": "Cruddur", "FilterExpression": 'service("backend-django")'}
    }
    rule = xray_api.rules["Cruddur"]
    expected = json.loads(RULES_FILE.read_text())["SamplingRule"]
    assert rule == expected
    assert (rule["Priority"], rule["FixedRate"], rule["ReservoirSize"]) == (9000, 0.1, 5)

    second = manage("xray_resources", **env)
    assert second.returncode == 0, second.stderr
    assert "group Cruddur: updated" in second.stdout
    assert "sampling rule Cruddur: updated" in second.stdout
    assert list(xray_api.groups) == ["Cruddur"]
    assert list(xray_api.rules) == ["Cruddur"]


def test_xray_resources_says_clearly_when_aws_is_unreachable(manage):
    from activities.tests.live_server import free_port

    env = {"AWS_ENDPOINT_URL_XRAY": f"http://127.0.0.1:{free_port()}", "AWS_ACCESS_KEY_ID": "x",
           "AWS_SECRET_ACCESS_KEY": "x", "AWS_DEFAULT_REGION": "us-east-1"}  # fmt: skip
    result = manage("xray_resources", **env)
    assert result.returncode == 1
    assert "X-Ray did not accept the request" in result.stderr
    assert "Traceback" not in result.stderr
