"""AWS X-Ray through the real SDK to a UDP socket in the daemon's place: the segment of each
sampled request, its http block, and the user feed's mock-data subsegment with its metadata."""

import json

import pytest
import requests

from activities.tests.live_server import PROJECT_DIR
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server


def segments_named(daemon, name):
    return [doc for doc in daemon.segments() if doc.get("name") == name and "trace_id" in doc]


def test_user_feed_segment_carries_http_and_the_mock_data_subsegment(daemon, provider_env, serve):
    with serve(**provider_env("xray")) as url:
        assert requests.get(f"{url}/api/activities/@andrewbrown", timeout=10).status_code == 200
        [segment] = wait_for(lambda: segments_named(daemon, "backend-django"))

    assert segment["http"]["request"]["method"] == "GET"
    assert segment["http"]["request"]["url"].endswith("/api/activities/@andrewbrown")
    assert segment["http"]["response"]["status"] == 200
    assert segment["trace_id"].startswith("1-")
    [subsegment] = segment["subsegments"]
    assert subsegment["name"] == "mock-data"
    metadata = subsegment["metadata"]["namespace"]["key"]
    assert metadata["results-size"] == 2
    assert metadata["now"].startswith("20")


def test_dynamic_naming_names_segments_by_the_public_host(daemon, provider_env, serve):
    host = "4567-ws-42.gitpod.io"
    env = provider_env(
        "xray", AWS_XRAY_URL="*4567-ws-42.gitpod.io*", GITPOD_WORKSPACE_ID="ws-42",
        GITPOD_WORKSPACE_CLUSTER_HOST="gitpod.io",
    )  # fmt: skip
    with serve(**env) as url:
        requests.get(f"{url}/api/activities/home", headers={"Host": host}, timeout=10)
        requests.get(f"{url}/api/activities/home", timeout=10)
        wait_for(lambda: len(daemon.segments()) >= 2)
    names = sorted(doc["name"] for doc in daemon.segments())
    assert names == sorted([host, "backend-django"])


def test_errors_are_marked_on_the_segment(daemon, provider_env, serve):
    with serve(**provider_env("xray")) as url:
        requests.get(f"{url}/api/activities/@nobody", timeout=10)
        [segment] = wait_for(daemon.segments)
    assert segment["http"]["response"]["status"] == 404
    assert segment.get("error") is True


def test_sampling_follows_the_rule_file(daemon, provider_env, serve, tmp_path):
    rules = json.loads((PROJECT_DIR / "aws" / "json" / "xray.json").read_text())
    rules["SamplingRule"].update(FixedRate=0.0, ReservoirSize=0)
    (tmp_path / "rules.json").write_text(json.dumps(rules))
    env = provider_env("xray", AWS_XRAY_RULES_FILE=str(tmp_path / "rules.json"))
    with serve(**env) as url:
        for _ in range(5):
            requests.get(f"{url}/api/activities/home", timeout=10)
        wait_for(daemon.segments, timeout=2)
    assert daemon.segments() == []


def test_code_outside_a_request_logs_a_missing_context_instead_of_raising(
    daemon, provider_env, manage
):
    result = manage(
        "shell", "-c",
        "from aws_xray_sdk.core import xray_recorder as r; r.begin_subsegment('x'); print('ok')",
        **provider_env("xray"),
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "ok" in result.stdout
    assert "cannot find the current segment" in result.stderr.lower()
