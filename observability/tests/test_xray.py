"""AWS X-Ray to a UDP socket in the daemon's place, from each source (segments built from the
OpenTelemetry spans, and the real X-Ray SDK's): the segment of each sampled request, its http block,
and the user feed's mock-data subsegment with its metadata. What arrives is the same from both."""

import json

import pytest
import requests

from activities.tests.live_server import PROJECT_DIR
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server


def segments_named(daemon, name):
    return [doc for doc in daemon.segments() if doc.get("name") == name and "trace_id" in doc]


def test_user_feed_segment_carries_http_and_the_mock_data_subsegment(
    daemon, provider_env, serve, xray_source
):
    with serve(**provider_env("xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        assert requests.get(f"{url}/api/activities/@andrewbrown", timeout=10).status_code == 200
        [segment] = wait_for(lambda: segments_named(daemon, "backend-django"))

    assert segment["http"]["request"]["method"] == "GET"
    assert segment["http"]["request"]["url"].endswith("/api/activities/@andrewbrown")
    assert segment["http"]["response"]["status"] == 200
    # What the SDK's middleware read of the request and response (nginx sets X-Forwarded-For).
    assert segment["http"]["response"]["content_length"] > 0
    assert segment["http"]["request"]["client_ip"] == "127.0.0.1"
    assert segment["http"]["request"]["x_forwarded_for"] is True
    assert segment["trace_id"].startswith("1-")
    # Built by the source asked for: the SDK's middleware, or from the OpenTelemetry spans.
    sdk = {"otel": "opentelemetry for python", "sdk": "X-Ray for Python"}[xray_source]
    assert segment["aws"]["xray"]["sdk"] == sdk
    [subsegment] = segment["subsegments"]
    assert subsegment["name"] == "mock-data"
    metadata = subsegment["metadata"]["namespace"]["key"]
    assert metadata["results-size"] == 2
    assert metadata["now"].startswith("20")


def test_dynamic_naming_names_segments_by_the_public_host(daemon, provider_env, serve, xray_source):
    host = "4567-ws-42.gitpod.io"
    env = provider_env(
        "xray", AWS_XRAY_URL="*4567-ws-42.gitpod.io*", GITPOD_WORKSPACE_ID="ws-42",
        GITPOD_WORKSPACE_CLUSTER_HOST="gitpod.io", OBSERVABILITY_XRAY_SOURCE=xray_source,
    )  # fmt: skip
    with serve(**env) as url:
        requests.get(f"{url}/api/activities/home", headers={"Host": host}, timeout=10)
        requests.get(f"{url}/api/activities/home", timeout=10)
        wait_for(lambda: len(daemon.segments()) >= 2)
    names = sorted(doc["name"] for doc in daemon.segments())
    assert names == sorted([host, "backend-django"])


def test_errors_are_marked_on_the_segment(daemon, provider_env, serve, xray_source):
    with serve(**provider_env("xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        requests.get(f"{url}/api/activities/@nobody", timeout=10)
        [segment] = wait_for(daemon.segments)
    assert segment["http"]["response"]["status"] == 404
    assert segment.get("error") is True


def test_sampling_follows_the_rule_file(daemon, provider_env, serve, tmp_path, xray_source):
    rules = json.loads((PROJECT_DIR / "aws" / "json" / "xray.json").read_text())
    rules["SamplingRule"].update(FixedRate=0.0, ReservoirSize=0)
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    env = provider_env(
        "xray", AWS_XRAY_RULES_FILE=str(tmp_path / "rules.json"),
        OBSERVABILITY_XRAY_SOURCE=xray_source,
    )  # fmt: skip
    with serve(**env) as url:
        for _ in range(5):
            requests.get(f"{url}/api/activities/home", timeout=10)
        wait_for(daemon.segments, timeout=2)
    assert daemon.segments() == []


def test_code_outside_a_request_neither_raises_nor_sends(daemon, provider_env, manage, xray_source):
    """The SDK's calls outside a request: with the sdk source they log the missing context, as
    the SDK does; with the otel source the SDK is off and they are silent no-ops."""
    result = manage(
        "shell", "-c",
        "from aws_xray_sdk.core import xray_recorder as r; r.begin_subsegment('x'); print('ok')",
        **provider_env("xray", OBSERVABILITY_XRAY_SOURCE=xray_source),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout
    missing = "cannot find the current segment" in result.stderr.lower()
    assert missing is (xray_source == "sdk"), result.stderr
    assert daemon.segments() == []


def test_a_failing_view_is_a_fault_with_its_cause(daemon, provider_env, serve, xray_source):
    env = provider_env(
        "xray", OBSERVABILITY_XRAY_SOURCE=xray_source,
        DJANGO_SETTINGS_MODULE="observability.tests.failing_settings",
    )  # fmt: skip
    with serve(**env) as url:
        assert requests.get(f"{url}/api/test/explode", timeout=10).status_code == 500
        [segment] = wait_for(daemon.segments)
    assert segment["http"]["response"]["status"] == 500
    assert segment["fault"] is True
    [exception] = segment["cause"]["exceptions"]
    assert exception["type"] == "RuntimeError", exception
    assert any(frame["label"] == "explode" for frame in exception["stack"]), exception["stack"]
