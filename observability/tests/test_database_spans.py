"""Database spans on the wire, on the database the tests run on (SQLite, and PostgreSQL where
DATABASE_URL points at it): each query of a request is a child span of the request's span in
OpenTelemetry and a `sql` subsegment in X-Ray from either source; switched off, neither; outside
a request (migrate, a management command) nothing is sent and nothing complains."""

import re

import pytest
import requests
from django.conf import settings

from activities.tests.live_server import database_url_for_server
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server

CLIENT, SERVER = 3, 2
INSTRUMENTATIONS = {
    "sqlite": "opentelemetry.instrumentation.sqlite3",
    "postgresql": "opentelemetry.instrumentation.psycopg",
}
# A literal value left in a statement: a quoted string, or a number outside an identifier.
LITERAL = re.compile(r"'|(?<![\w$])\d")


def vendor():
    """The database the server runs on, as Django's backend and OpenTelemetry name it."""
    engine = settings.DATABASES["default"]["ENGINE"]
    return "postgresql" if engine.endswith("postgresql") else "sqlite"


def sql_subsegments(documents):
    """Every subsegment with a sql block, however deep."""
    found = []
    for document in documents:
        if "sql" in document:
            found.append(document)
        found += sql_subsegments(document.get("subsegments", []))
    return found


def descends_from(span, ancestor, spans):
    by_id = {s["span_id"]: s for s in spans}
    while span["parent_span_id"] in by_id:
        span = by_id[span["parent_span_id"]]
    return span is ancestor


def test_each_query_of_the_home_feed_is_a_child_span_of_the_request(
    otlp, provider_env, serve_on_test_database_kind
):
    with serve_on_test_database_kind(**provider_env("otel")) as url:
        assert requests.get(f"{url}/api/activities/home", timeout=10).status_code == 200
        wait_for(lambda: [s for s in otlp.spans() if s["kind"] == SERVER])
    spans = otlp.spans()
    [server] = [s for s in spans if s["kind"] == SERVER]
    queries = [s for s in spans if s["kind"] == CLIENT]
    assert len(queries) >= 2  # a page, then its replies
    for query in queries:
        assert query["scope"] == INSTRUMENTATIONS[vendor()]
        assert query["trace_id"] == server["trace_id"]
        assert descends_from(query, server, spans)
        attributes = query["attributes"]
        assert attributes["db.system"] == vendor()
        assert query["name"] == attributes["db.statement"].split()[0] == "SELECT"  # the operation
        assert not LITERAL.search(attributes["db.statement"]), attributes["db.statement"]
        assert "db.statement.parameters" not in attributes
        if vendor() == "postgresql":
            database = settings.DATABASES["default"]
            assert attributes["db.name"].startswith("cruddur_live_")
            assert attributes["db.user"] == database["USER"]
            assert attributes["net.peer.name"] == database["HOST"]
    if vendor() == "sqlite":  # its replies' query writes its branch numbers into its text
        assert any("SELECT ? AS n" in q["attributes"]["db.statement"] for q in queries)


def test_each_query_is_an_sql_subsegment(
    daemon, provider_env, serve_on_test_database_kind, xray_source
):
    env = provider_env("xray", OBSERVABILITY_XRAY_SOURCE=xray_source)
    with serve_on_test_database_kind(**env) as url:
        assert requests.get(f"{url}/api/activities/home", timeout=10).status_code == 200
        [segment] = wait_for(daemon.segments)
    queries = sql_subsegments([segment])
    assert len(queries) >= 2
    host = settings.DATABASES["default"]["HOST"]
    # Named as the SDK's Django patching names them: by the database's host, which SQLite lacks
    # (the SDK then names them by its method; the spans' source by the database's type).
    sqlite_name = {"sdk": "execute", "otel": "sqlite"}[xray_source]
    for query in queries:
        assert query["namespace"] == "remote"
        assert query["name"] == (host if vendor() == "postgresql" else sqlite_name)
        sql = query["sql"]
        assert sql["database_type"] == vendor()
        assert sql["sanitized_query"].startswith("SELECT")
        assert not LITERAL.search(sql["sanitized_query"]), sql["sanitized_query"]
        assert query["end_time"] >= query["start_time"]
        if vendor() == "postgresql":
            assert sql["user"] == settings.DATABASES["default"]["USER"]
    if vendor() == "sqlite":
        assert any("SELECT ? AS n" in q["sql"]["sanitized_query"] for q in queries)


def test_switched_off_no_query_is_traced(
    otlp, daemon, provider_env, serve_on_test_database_kind, xray_source
):
    env = provider_env(
        "otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source, OBSERVABILITY_DATABASE_SPANS="off"
    )
    with serve_on_test_database_kind(**env) as url:
        assert requests.get(f"{url}/api/activities/home", timeout=10).status_code == 200
        wait_for(lambda: [s for s in otlp.spans() if s["kind"] == SERVER])
        [segment] = wait_for(daemon.segments)
    assert [s["name"] for s in otlp.spans() if s["kind"] == CLIENT] == []
    assert sql_subsegments([segment]) == []


@pytest.mark.parametrize(
    "command",
    [
        ("migrate", "--noinput"),
        ("shell", "-c", "from activities.models import User; print(User.objects.count())"),
    ],
    ids=["migrate", "shell"],
)
def test_commands_outside_a_request_send_nothing_and_complain_of_nothing(
    command, otlp, daemon, manage, provider_env, tmp_path, xray_source
):
    env = provider_env("otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source)
    with database_url_for_server(tmp_path) as database_url:
        if command[0] != "migrate":
            assert manage("migrate", "--noinput", database_url=database_url).returncode == 0
        result = manage(*command, database_url=database_url, **env)
    assert result.returncode == 0, result.stderr
    assert "cannot find the current segment" not in result.stderr.lower(), result.stderr
    assert "Traceback" not in result.stderr, result.stderr
    wait_for(daemon.segments, timeout=1)
    assert otlp.spans() == []
    assert daemon.segments() == []
