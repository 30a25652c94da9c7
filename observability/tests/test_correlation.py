"""One trace id everywhere: the OpenTelemetry server span, the X-Ray segment, the log lines, the
Rollbar item and the response header name the same trace, however the request arrived; and one
sampling decision covers every backend."""

import re

import pytest
import requests

from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server

ALL = ("otel", "xray", "cloudwatch", "rollbar")
FAILING_APP = {"DJANGO_SETTINGS_MODULE": "observability.tests.failing_settings"}
INCOMING = "5759e988bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"


def server_spans(otlp):
    return [span for span in otlp.spans() if span["kind"] == 2]


def xray_segments(daemon):
    return [doc for doc in daemon.segments() if "trace_id" in doc]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        (
            {"X-Amzn-Trace-Id": f"Root=1-{INCOMING[:8]}-{INCOMING[8:]};Parent={PARENT};Sampled=1"},
            INCOMING,
        ),
        ({"traceparent": f"00-{INCOMING}-{PARENT}-01"}, INCOMING),
    ],
    ids=["no-header", "x-amzn-trace-id", "traceparent"],
)
def test_span_segment_and_response_share_the_trace(
    headers, expected, otlp, daemon, provider_env, serve, xray_source
):
    with serve(**provider_env("otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        response = requests.get(f"{url}/api/activities/home", headers=headers, timeout=10)
        [span] = wait_for(lambda: server_spans(otlp))
        [segment] = wait_for(lambda: xray_segments(daemon))
    trace_id = span["trace_id"]
    if expected:
        assert trace_id == expected
    assert int(trace_id[:8], 16) > 0x50000000  # an X-Ray id starts with the time
    xray_id = f"1-{trace_id[:8]}-{trace_id[8:]}"
    assert segment["trace_id"] == xray_id
    assert response.headers["X-Amzn-Trace-Id"] == f"Root={xray_id}"
    if expected:
        assert segment["parent_id"] == PARENT


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Amzn-Trace-Id": f"Root=1-{INCOMING[:8]}-{INCOMING[8:]};Sampled=0"},
        {"traceparent": f"00-{INCOMING}-{PARENT}-00"},
    ],
    ids=["x-amzn-trace-id", "traceparent"],
)
def test_an_unsampled_trace_reaches_no_tracing_backend(
    headers, otlp, daemon, provider_env, serve, xray_source
):
    with serve(**provider_env("otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source)) as url:
        response = requests.get(f"{url}/api/activities/home", headers=headers, timeout=10)
        requests.get(f"{url}/api/activities/@worf", timeout=10)
        wait_for(lambda: server_spans(otlp) and xray_segments(daemon))
    assert response.headers["X-Amzn-Trace-Id"].startswith(f"Root=1-{INCOMING[:8]}")
    assert [s["name"] for s in server_spans(otlp)] == ["GET /api/activities/@{handle}"]
    assert [s["http"]["request"]["url"].rsplit("/", 1)[1] for s in xray_segments(daemon)] == [
        "@worf"
    ]


def test_otel_alone_answers_the_trace_header(otlp, provider_env, serve):
    with serve(**provider_env("otel")) as url:
        response = requests.get(f"{url}/api/activities/home", timeout=10)
        [span] = wait_for(lambda: server_spans(otlp))
    trace_id = span["trace_id"]
    assert response.headers["X-Amzn-Trace-Id"] == f"Root=1-{trace_id[:8]}-{trace_id[8:]}"


def test_logs_and_rollbar_items_carry_the_trace(
    otlp, rollbar_api, moto, provider_env, serve, tmp_path, xray_source
):
    env = provider_env(
        *ALL, HONEYCOMB_TEAM="cruddur-team", OBSERVABILITY_XRAY_SOURCE=xray_source, **FAILING_APP
    )
    headers = {"traceparent": f"00-{INCOMING}-{PARENT}-01"}
    with serve(**env) as url:
        requests.get(f"{url}/api/activities/home", headers=headers, timeout=10)
        requests.get(f"{url}/api/test/explode", headers=headers, timeout=10)
        [item] = wait_for(rollbar_api.items)
        messages = wait_for(
            lambda: (
                (m := moto.log_messages("cruddur")) and any("HomeActivities" in x for x in m) and m
            )
        )
    xray_id = f"1-{INCOMING[:8]}-{INCOMING[8:]}"
    custom = item["data"]["custom"]
    assert (custom["trace_id"], custom["xray_trace_id"]) == (INCOMING, xray_id)
    links = custom["trace_links"]
    assert links["honeycomb"].endswith(
        f"/cruddur-team/environments/production/trace?trace_id={INCOMING}"
    )
    assert links["xray"].endswith(f"#xray:traces/{xray_id}")
    assert INCOMING in links["cloudwatch_logs"]

    home = next(m for m in messages if m.endswith("HomeActivities"))
    assert f"trace_id={INCOMING} xray_trace_id={xray_id} span_id=" in home
    console = (tmp_path / "server.log").read_text()
    [request_error] = [line for line in console.splitlines() if "django.request" in line]
    assert f"trace_id={INCOMING} xray_trace_id={xray_id}" in request_error
    assert re.search(r"span_id=[0-9a-f]{16} ", request_error)


def test_send_test_sends_everything_under_one_trace_and_prints_it(
    manage, provider_env, otlp, daemon, rollbar_api, moto, xray_source
):
    env = provider_env(*ALL, OBSERVABILITY_XRAY_SOURCE=xray_source)
    result = manage("observability", "--send-test", **env)
    assert result.returncode == 0, result.stdout + result.stderr
    [trace_id] = re.findall(r"send-test trace id: ([0-9a-f]{32})", result.stdout)
    assert [span["trace_id"] for span in otlp.spans()] == [trace_id]
    assert [doc["trace_id"] for doc in wait_for(daemon.segments)] == [
        f"1-{trace_id[:8]}-{trace_id[8:]}"
    ]
    assert rollbar_api.items()[0]["data"]["custom"]["trace_id"] == trace_id
    assert any(f"trace_id={trace_id}" in m for m in moto.log_messages("cruddur"))


def test_with_the_otel_source_the_request_is_traced_once_and_exported_to_both(
    otlp, daemon, provider_env, serve
):
    """The default with both on: X-Ray's segment is the OpenTelemetry trace itself, span for
    span, with one id each."""
    with serve(**provider_env("otel", "xray")) as url:
        requests.get(f"{url}/api/activities/@andrewbrown", timeout=10)
        wait_for(lambda: server_spans(otlp))
        [segment] = wait_for(lambda: xray_segments(daemon))
    # Read after the stop: a batch may leave mid-request, and the stop sends whatever is left.
    spans = otlp.spans()
    [server] = server_spans(otlp)
    [mock_data] = [span for span in spans if span["name"] == "mock-data"]
    assert segment["id"] == server["span_id"]
    assert [(s["id"], s["name"]) for s in segment["subsegments"]] == [
        (mock_data["span_id"], "mock-data")
    ]


def test_current_span_answers_what_get_current_span_answers():
    from opentelemetry import context as context_api
    from opentelemetry import trace
    from opentelemetry.trace.propagation import _SPAN_KEY

    from observability.correlation import current_span

    span = trace.NonRecordingSpan(
        trace.SpanContext(0x5F7A, 0x1234, is_remote=False, trace_flags=trace.TraceFlags(1))
    )
    assert current_span() is trace.get_current_span() is trace.INVALID_SPAN
    with trace.use_span(span):
        assert current_span() is trace.get_current_span() is span
    given = trace.set_span_in_context(span)
    assert current_span(given) is trace.get_current_span(given) is span
    not_a_span = context_api.set_value(_SPAN_KEY, "not a span")
    assert current_span(not_a_span) is trace.get_current_span(not_a_span) is trace.INVALID_SPAN
