"""Nothing a client sends breaks the app or forges what it writes: arbitrary trace headers, paging
cursors and path parameters, generated, against a real gunicorn on the test database's kind
(SQLite or PostgreSQL) with every provider off and every provider on, never answer 5xx; trace
ids that reach a log line or a segment are the app's own or validated ones."""

import re
from urllib.parse import quote, quote_from_bytes

import pytest
import requests
from hypothesis import given, settings
from hypothesis import strategies as st

from activities.tests.live_server import database_url_for_server, running_server
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server

ALL = ("otel", "xray", "cloudwatch", "rollbar")
ROOT = "1-5759e988-bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"
RESPONSE_ROOT = re.compile(r"Root=1-[0-9a-f]{8}-[0-9a-f]{24}")

# What an HTTP client can put in a header value: visible ASCII and spaces, and Latin-1 letters.
HEADER_TEXT = st.text(st.characters(codec="latin-1", exclude_categories=["Cc"]), max_size=120).map(
    str.strip
)
HEX = st.text("0123456789abcdef", min_size=1, max_size=40)
XRAY_FIELD = st.one_of(
    st.just(f"Root={ROOT}"),
    st.builds("Parent={}".format, st.one_of(st.just(PARENT), HEX, st.just("-1"), HEADER_TEXT)),
    st.builds("Sampled={}".format, st.sampled_from(["0", "1", "?", "", "2", "yes"])),
    HEADER_TEXT,
)
XRAY_HEADER = st.one_of(
    HEADER_TEXT,
    st.lists(st.lists(XRAY_FIELD, max_size=5).map(";".join), min_size=1, max_size=3).map(", ".join),
)
TRACEPARENT = st.one_of(
    HEADER_TEXT,
    st.builds("00-{}-{}-{}".format, HEX, HEX, st.text("0123456789abcdef", max_size=3)),
)
TRACE_HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "X-Amzn-Trace-Id": XRAY_HEADER,
        "traceparent": TRACEPARENT,
        "tracestate": HEADER_TEXT,
        "baggage": HEADER_TEXT,
    },
)
# A path parameter: any text (NUL, slashes, unicode, percent signs), or bytes that are no UTF-8.
PARAMETER = st.one_of(
    st.text(max_size=80).map(lambda text: quote(text, safe="")),
    st.binary(max_size=40).map(lambda data: quote_from_bytes(data, safe="")),
)
PATHS = st.one_of(
    st.just("/api/activities/home"),
    st.just("/api/message_groups"),
    st.builds("/api/activities/@{}".format, PARAMETER),
    st.builds("/api/messages/@{}".format, PARAMETER),
    st.builds("/api/activities/{}".format, PARAMETER),
    st.builds("/api/activities/{}/reply".format, PARAMETER),
    st.builds("/api/activities/search?term={}".format, PARAMETER),
)
CURSORS = st.one_of(
    st.none(),
    st.text(max_size=200),
    st.binary(max_size=120).map(lambda data: __import__("base64").b64encode(data).decode()),
)


def hostile_requests(url, cursor_from_the_api):
    """Runs the generated requests against `url`; each must answer below 500, errors in JSON."""
    session = requests.Session()
    cursors = st.one_of(CURSORS, st.just(cursor_from_the_api), tampered(cursor_from_the_api))

    @settings(max_examples=150, deadline=None, database=None, derandomize=True)
    @given(path=PATHS, headers=TRACE_HEADERS, cursor=cursors)
    def check(path, headers, cursor):
        params = {} if cursor is None else {"cursor": cursor}
        response = session.get(f"{url}{path}", headers=headers, params=params, timeout=30)
        assert response.status_code < 500, (path, headers, cursor, response.text[:300])
        if response.status_code >= 400:
            assert response.headers["Content-Type"].startswith("application/json"), response.text
        trace_header = response.headers.get("X-Amzn-Trace-Id")
        assert trace_header is None or RESPONSE_ROOT.fullmatch(trace_header), trace_header

    check()


def tampered(cursor):
    """The cursor with one character changed."""
    return st.integers(0, len(cursor) - 1).flatmap(
        lambda i: st.sampled_from("Aa0:_-").map(lambda c: cursor[:i] + c + cursor[i + 1 :])
    )


@pytest.mark.parametrize("providers", [(), ALL], ids=["providers-off", "providers-on"])
def test_generated_hostile_requests_never_answer_5xx(providers, provider_env, tmp_path):
    env = provider_env(*providers) if providers else {}
    with database_url_for_server(tmp_path) as database, running_server(database, **env) as url:
        first_page = requests.get(f"{url}/api/activities/home?page_size=1", timeout=10)
        cursor = first_page.links["next"]["url"].split("cursor=", 1)[1]
        hostile_requests(url, requests.utils.unquote(cursor))
        assert requests.get(f"{url}/api/health-check", timeout=10).status_code == 200


MALFORMED_XRAY_HEADERS = {
    "non-hex parent": f"Root={ROOT};Parent=zzzz5c3f42cd8ad8;Sampled=1",
    "oversized parent": f"Root={ROOT};Parent={'f' * 40};Sampled=1",
    "quoted parent": f'Root={ROOT};Parent="{PARENT}";Sampled=1',
    "repeated parent": f"Root={ROOT};Parent={PARENT};Parent=1111111111111111;Sampled=1",
    "two header lines": f"Root={ROOT};Parent={PARENT};Sampled=1, Root={ROOT};Parent=zz",
    "parent of -1": f"Root={ROOT};Parent=-1;Sampled=1",
}


@pytest.mark.parametrize("header", MALFORMED_XRAY_HEADERS.values(), ids=MALFORMED_XRAY_HEADERS)
def test_a_malformed_trace_header_keeps_its_root_and_never_fails(
    header, otlp, daemon, provider_env, serve
):
    with serve(**provider_env("otel", "xray")) as url:
        for path in ("/api/activities/home", "/api/health-check", "/api/nowhere"):
            response = requests.get(f"{url}{path}", headers={"X-Amzn-Trace-Id": header}, timeout=10)
            assert response.status_code < 500, response.text
            assert response.headers["X-Amzn-Trace-Id"] == f"Root={ROOT}"
        spans = wait_for(lambda: [s for s in otlp.spans() if s["kind"] == 2][2:] and otlp.spans())
    assert {span["trace_id"] for span in spans} == {ROOT.replace("-", "")[1:]}


FORGING = f"Root={ROOT};Parent={PARENT} span_id=forged trace_id=forged Sampled=1"


def test_a_forged_parent_reaches_no_log_line_and_no_segment(
    daemon, moto, provider_env, serve, tmp_path, xray_source
):
    env = provider_env("xray", "cloudwatch", "rollbar", OBSERVABILITY_XRAY_SOURCE=xray_source)
    with serve(**env) as url:
        response = requests.get(
            f"{url}/api/activities/home", headers={"X-Amzn-Trace-Id": FORGING}, timeout=10
        )
        assert response.status_code == 200
        assert response.headers["X-Amzn-Trace-Id"] == f"Root={ROOT}"
        logs = wait_for(lambda: [m for m in moto.log_messages("cruddur") if "HomeActivities" in m])
        segments = wait_for(lambda: [d for d in daemon.segments() if "trace_id" in d])
    console = (tmp_path / "server.log").read_text()
    assert "forged" not in console
    assert not [line for line in logs if "forged" in line]
    assert [f"xray_trace_id={ROOT}" in line for line in logs] == [True]
    assert [segment["trace_id"] for segment in segments] == [ROOT]
    assert "parent_id" not in segments[0]
