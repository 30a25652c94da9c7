"""A request's route names it in every tracing backend (`GET /api/activities/@{handle}`, one name
for every handle), and the release from OBSERVABILITY_RELEASE reaches every backend: service.version
on spans and segments, Rollbar's code_version, release= on every log line."""

import pytest
import requests

from observability.tests.receivers import wait_for
from observability.tests.test_correlation import ALL, FAILING_APP, server_spans
from observability.tests.test_correlation import xray_segments as segments

pytestmark = pytest.mark.server

RELEASE = "3f9c2ab"
ROUTE = "/api/activities/@{handle}"


def test_the_user_feed_is_named_by_its_route_for_every_handle(
    otlp, daemon, provider_env, serve, xray_source
):
    with serve(**provider_env("otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        for handle in ("andrewbrown", "worf", "nobody"):
            requests.get(f"{url}/api/activities/@{handle}", timeout=10)
        requests.get(f"{url}/api/no-such-path", timeout=10)
        wait_for(lambda: len(server_spans(otlp)) == 4 and len(segments(daemon)) == 4)
    spans = server_spans(otlp)
    named = [span for span in spans if span["attributes"].get("http.route") == ROUTE]
    assert [span["name"] for span in named] == [f"GET {ROUTE}"] * 3
    # A path that matches no route is named by its method alone, with no route.
    [unmatched] = [span for span in spans if span not in named]
    assert unmatched["name"] == "GET"
    assert "http.route" not in unmatched["attributes"]
    routes = sorted(str(doc.get("annotations", {}).get("http_route")) for doc in segments(daemon))
    assert routes == [ROUTE, ROUTE, ROUTE, "None"]


def test_the_release_reaches_every_backend(
    otlp, daemon, rollbar_api, moto, provider_env, serve, tmp_path, xray_source
):
    env = provider_env(
        *ALL, OBSERVABILITY_RELEASE=RELEASE, OBSERVABILITY_XRAY_SOURCE=xray_source, **FAILING_APP
    )
    with serve(**env) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        requests.get(f"{url}/api/test/explode", timeout=10)
        [item] = wait_for(rollbar_api.items)
        wait_for(lambda: len(server_spans(otlp)) == 2 and len(segments(daemon)) == 2)
        logged = wait_for(
            lambda: (
                (m := moto.log_messages("cruddur")) and any("HomeActivities" in x for x in m) and m
            )
        )
    assert {span["version"] for span in otlp.spans()} == {RELEASE}
    assert {point["version"] for point in otlp.metric_points()} == {RELEASE}  # at the stop
    assert [doc["service"]["version"] for doc in segments(daemon)] == [RELEASE, RELEASE]
    assert item["data"]["code_version"] == RELEASE
    assert all(f" release={RELEASE} " in line for line in logged), logged
    console = (tmp_path / "server.log").read_text().splitlines()
    request_error = [line for line in console if "django.request" in line]
    assert request_error
    assert all(f" release={RELEASE} " in line for line in request_error)


def test_without_a_release_nothing_names_one(otlp, daemon, provider_env, serve, xray_source):
    with serve(**provider_env("otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        [segment] = wait_for(lambda: segments(daemon))
        wait_for(lambda: server_spans(otlp))
    assert {span["version"] for span in otlp.spans()} == {None}
    assert "version" not in segment["service"]
