"""Nothing secret leaves the process: sentinel secrets sent through headers, query strings and
JSON bodies of real requests (one of them reported to Rollbar), and the process's own secrets,
are searched for in every byte that reached every receiver."""

import http.client
from urllib.parse import urlsplit

import pytest
import requests

from observability.scrubbing import REDACTED, is_sensitive, scrub, scrub_attributes, scrub_text
from observability.tests.failing_urls import SQL_LITERAL, SQL_NUMBER
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server

AWS_SECRET = "AWSSECRETsentinel0000aws"
ROLLBAR_SECRET = "ROLLBARsentinel1111token"
HONEYCOMB_SECRET = "HONEYCOMBsentinel2222key"
REQUEST_SECRETS = {
    "authorization": "AUTHsentinel3333bearer",
    "cookie": "COOKIEsentinel4444session",
    "honeycomb_header": "HCHEADERsentinel5555",
    "query_token": "QTOKENsentinel6666",
    "query_password": "QPASSsentinel7777",
    "body_password": "BPASSsentinel8888",
    "body_api_key": "BAPIKEYsentinel9999",
    "encoded_name": "ENCNAMEsentinel1010",
}
ALL_SENTINELS = [AWS_SECRET, ROLLBAR_SECRET, HONEYCOMB_SECRET, *REQUEST_SECRETS.values()]


def send_requests_with_secrets(url):
    s = REQUEST_SECRETS
    headers = {
        "Authorization": f"Bearer {s['authorization']}",
        "Cookie": f"sessionid={s['cookie']}",
        "X-Honeycomb-Team": s["honeycomb_header"],
    }
    query = f"token={s['query_token']}&password={s['query_password']}&term=cloud"
    body = {
        "message": "hi",
        "ttl": "1-day",
        "password": s["body_password"],
        "api_key": s["body_api_key"],
    }
    for path in ("/api/activities/home", "/api/activities/search", "/api/test/explode"):
        requests.get(f"{url}{path}?{query}", headers=headers, timeout=10)
    requests.post(f"{url}/api/activities?{query}", json=body, headers=headers, timeout=10)
    requests.post(f"{url}/api/test/explode?{query}", json=body, headers=headers, timeout=10)
    # A name percent-encoded as sent (requests would normalise it): Django reads "password".
    for path in ("/api/activities/home", "/api/test/explode"):
        connection = http.client.HTTPConnection(urlsplit(url).netloc, timeout=10)
        connection.request("GET", f"{path}?pass%77ord={s['encoded_name']}&term=cloud")
        connection.getresponse().read()
        connection.close()


def test_no_secret_reaches_any_backend(
    otlp, daemon, rollbar_api, moto, provider_env, serve, tmp_path, xray_source
):
    env = provider_env(
        "otel", "xray", "cloudwatch", "rollbar", OBSERVABILITY_XRAY_SOURCE=xray_source,
        DJANGO_SETTINGS_MODULE="observability.tests.failing_settings",
        AWS_SECRET_ACCESS_KEY=AWS_SECRET, ROLLBAR_ACCESS_TOKEN=ROLLBAR_SECRET,
        HONEYCOMB_API_KEY=HONEYCOMB_SECRET,
    )  # fmt: skip
    with serve(**env) as url:
        send_requests_with_secrets(url)
        wait_for(lambda: len(rollbar_api.items()) >= 2)
        # Everything the seven requests send, so that a late batch cannot hide a leak.
        wait_for(lambda: len([s for s in otlp.spans() if s["kind"] == 2]) >= 7)
        wait_for(lambda: len([d for d in daemon.segments() if "trace_id" in d]) >= 7)
        logs = wait_for(
            lambda: (
                (m := moto.log_messages("cruddur"))
                and sum("/api/test/explode" in line for line in m) >= 3
                and m
            )
        )

    # What each backend got. A backend's own credential may go only where it authenticates it.
    otlp_bytes = otlp.raw_bytes(except_headers=["x-honeycomb-team"])
    rollbar_bytes = rollbar_api.raw_bytes(except_headers=["x-rollbar-access-token"])
    received = {
        "otlp": otlp_bytes,
        "xray": daemon.raw_bytes(),
        "cloudwatch": "\n".join(logs).encode(),
        "rollbar": rollbar_bytes,
    }
    # The requests did arrive, with the parts that were not secret.
    assert b"term=cloud" in received["xray"]
    assert REDACTED.encode() in received["rollbar"]
    assert any("/api/test/explode" in m for m in logs)
    leaks = {
        backend: [s for s in ALL_SENTINELS if s.encode() in data]
        for backend, data in received.items()
    }
    assert leaks == {backend: [] for backend in received}
    console = (tmp_path / "server.log").read_text()
    assert [
        s for s in ALL_SENTINELS if s in console and s != REQUEST_SECRETS["authorization"]
    ] == []


MESSAGE_SENTINEL = "MESSAGEsentinel1313posted"
LITERALS_STATEMENT = "SELECT ? AS probe, ? AS n"


def statements(otlp, daemon):
    """The statements of the database spans that arrived, and those of the sql subsegments."""
    spans = [s["attributes"].get("db.statement") for s in otlp.spans() if s["kind"] == 3]

    def queries(documents):
        for document in documents:
            if "sql" in document:
                yield document["sql"].get("sanitized_query")
            yield from queries(document.get("subsegments", []))

    return spans, list(queries(daemon.segments()))


def test_no_value_a_query_holds_reaches_a_span_or_segment(
    otlp, daemon, provider_env, serve_on_test_database_kind, xray_source
):
    """A posted message goes to the database as a parameter, and a literal written into a
    statement's text is replaced: neither reaches OpenTelemetry or X-Ray."""
    env = provider_env(
        "otel", "xray", OBSERVABILITY_XRAY_SOURCE=xray_source,
        DJANGO_SETTINGS_MODULE="observability.tests.failing_settings",
    )  # fmt: skip
    with serve_on_test_database_kind(**env) as url:
        posted = {"message": MESSAGE_SENTINEL, "ttl": "1-day"}
        assert requests.post(f"{url}/api/activities", json=posted, timeout=10).status_code == 200
        assert requests.get(f"{url}/api/test/sql-literals", timeout=10).status_code == 200
        wait_for(lambda: LITERALS_STATEMENT in statements(otlp, daemon)[0])
        wait_for(lambda: LITERALS_STATEMENT in statements(otlp, daemon)[1])
    spans, queries = statements(otlp, daemon)
    # The statements arrived, the INSERT of the message among them, without their values.
    assert LITERALS_STATEMENT in spans
    assert LITERALS_STATEMENT in queries
    assert any(s.startswith("INSERT INTO") for s in spans), spans
    assert any(q.startswith("INSERT INTO") for q in queries), queries
    for backend, data in {"otlp": otlp.raw_bytes(), "xray": daemon.raw_bytes()}.items():
        for sentinel in (MESSAGE_SENTINEL, SQL_LITERAL, str(SQL_NUMBER)):
            assert sentinel.encode() not in data, (backend, sentinel)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/a?token=x1&term=cloud", f"/a?token={REDACTED}&term=cloud"),
        ('{"password": "p", "message": "m"}', f'{{"password": "{REDACTED}", "message": "m"}}'),
        ("sessionid=abc; theme=dark", f"sessionid={REDACTED}; theme=dark"),
        ("nothing secret here", "nothing secret here"),
    ],
)
def test_scrub_text(text, expected):
    assert scrub_text(text) == expected


def test_scrub_structures():
    data = {"headers": {"Authorization": "Bearer a", "Accept": "json"}, "list": [{"api_key": "k"}]}
    assert scrub(data) == {
        "headers": {"Authorization": REDACTED, "Accept": "json"},
        "list": [{"api_key": REDACTED}],
    }


@pytest.mark.parametrize(
    ("name", "sensitive"),
    [
        ("Authorization", True),
        ("X-HONEYCOMB-TEAM", True),
        ("Api-Key", True),
        ("sess\u0130on", True),  # capital dotted I
        ("sess\u0131on", True),  # dotless i
        ("\u017fe\u017f\u017fion", True),  # long s
        ("to\u212aen", True),  # Kelvin sign
        ("theme", False),
    ],
)
def test_names_read_as_an_ignorecase_search_would(name, sensitive):
    # Lower-cased text is searched case-sensitively (faster), with the letters an IGNORECASE
    # search took for ASCII ones folded in.
    assert is_sensitive(name) is sensitive
    value = REDACTED if sensitive else "v1"
    assert scrub_text(f"/a?{name}=v1&b=2") == f"/a?{name}={value}&b=2"


def test_clean_values_come_back_as_they_are_and_inputs_stay_untouched():
    clean = {"http.url": "/api/activities/home?page_size=3", "tags": ["a", {"b": 1}], "n": 2}
    assert scrub(clean) is clean
    dirty = {"keep": {"same": "x"}, "inner": {"token": "t"}, "list": ("a", "password=p")}
    result = scrub(dirty)
    assert result == {
        "keep": {"same": "x"},
        "inner": {"token": REDACTED},
        "list": ("a", f"password={REDACTED}"),
    }
    assert result["keep"] is dirty["keep"]
    assert dirty == {"keep": {"same": "x"}, "inner": {"token": "t"}, "list": ("a", "password=p")}


def test_a_text_is_judged_again_when_the_secrets_change(settings):
    text = "the key is NEWsentinel4444secret"
    assert scrub_text(text) is text
    again = "".join(["the key is ", "NEWsentinel4444secret"])  # equal, another object
    assert scrub_text(again) is again  # what is clean comes back as it is, also when known
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "secrets": ["NEWsentinel4444secret"]}
    assert scrub_text(text) == f"the key is {REDACTED}"


ATTRIBUTE_SETS = [
    {"http.method": "GET", "http.target": "/a?term=cloud", "net.peer.port": 4242},
    {"http.target": "/a?token=t1&term=cloud", "http.user_agent": "ua", "http.status_code": 200},
    {"session.id": "s1", "password": "", "api_key": None, "tags": ("a", "password=p")},
    {"message": "NEWsentinel5555secret inside", "long": "x" * 300 + "?token=t2"},
    {"app.count": 3, "app.ratio": 0.5, "app.flag": True, "token": 7},
]


@pytest.mark.parametrize("attributes", ATTRIBUTE_SETS)
def test_span_attributes_are_scrubbed_as_any_structure_is(attributes, settings):
    """scrub_attributes, the exporters' fast path, keeps verdicts per (name, text): the same
    answers as scrub(), the first time and from its cache, and the same mapping when clean."""
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "secrets": ["NEWsentinel5555secret"]}
    before = dict(attributes)
    for _ in range(2):
        result = scrub_attributes(attributes)
        assert result == scrub(attributes)
        assert (result is attributes) is (scrub(attributes) is attributes)
    assert attributes == before  # left untouched


def test_span_attributes_are_judged_again_when_the_secrets_change(settings):
    attributes = {"message": "the key is NEWsentinel6666secret"}
    assert scrub_attributes(attributes) is attributes
    settings.OBSERVABILITY = {**settings.OBSERVABILITY, "secrets": ["NEWsentinel6666secret"]}
    assert scrub_attributes(attributes) == {"message": f"the key is {REDACTED}"}
