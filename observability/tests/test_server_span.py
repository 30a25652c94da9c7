"""ServerSpanMiddleware's lean path makes the span the instrumentation's own middleware makes
(name, kind, attributes in their order, status, parent, exception events), for requests of every
shape, without resolving the URL a second time or building the absolute URL; but for the route,
which both of its paths write as users read it (`/api/activities/@{handle}`)."""

import wsgiref.util

import django.http.request
import pytest
from django.test import Client, override_settings
from opentelemetry import trace
from opentelemetry.instrumentation.django.middleware import otel_middleware
from opentelemetry.instrumentation.django.middleware.otel_middleware import _DjangoMiddleware
from opentelemetry.instrumentation.wsgi import collect_request_attributes
from opentelemetry.metrics import NoOpMeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from observability.providers.otel.request_attributes import request_uri
from observability.providers.otel.server_span import ServerSpanMiddleware, request_attributes
from observability.routes import route_template

exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
meter = NoOpMeterProvider().get_meter("test")
# What DjangoInstrumentor.instrument() sets on the class, on subclasses of our own.
INSTRUMENTED = {
    "_tracer": provider.get_tracer(otel_middleware.__name__),
    "_meter": meter,
    "_active_request_counter": meter.create_up_down_counter("active"),
    "_duration_histogram_old": meter.create_histogram("duration"),
    "_duration_histogram_new": None,
}
LibraryMiddleware = type("LibraryMiddleware", (_DjangoMiddleware,), dict(INSTRUMENTED))
LeanMiddleware = type("LeanMiddleware", (ServerSpanMiddleware,), dict(INSTRUMENTED))

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
REQUESTS = {
    "feed": ("get", "/api/activities/home", {}),
    "query": ("get", "/api/activities/search?term=cloud&page_size=2", {}),
    "user feed, 404 from the view": ("get", "/api/activities/@nobody", {}),
    "no such URL": ("get", "/no/such/path", {}),
    "view that raises": ("get", "/api/test/explode", {}),
    "CORS preflight, no view": (
        "options",
        "/api/activities",
        {"HTTP_ORIGIN": "http://localhost:3000", "HTTP_ACCESS_CONTROL_REQUEST_METHOD": "POST"},
    ),
    "post": ("post", "/api/activities", {"data": "{}", "content_type": "application/json"}),
    "head": ("head", "/api/health-check", {}),
    "unknown method": ("generic", "/api/activities/home", {}),
    "remote parent": ("get", "/api/activities/home", {"HTTP_TRACEPARENT": TRACEPARENT}),
    "user agent and peer port": (
        "get",
        "/api/activities/home",
        {"HTTP_USER_AGENT": "curl/8.0", "REMOTE_PORT": "51234", "REMOTE_HOST": "client.example"},
    ),
    "mounted under a prefix": ("get", "/api/activities/home", {"SCRIPT_NAME": "/cruddur"}),
}


def span_of(middleware, method, path, extra):
    exporter.clear()
    stack = [middleware, *[m for m in settings_middleware() if "Observability" not in m]]
    with override_settings(MIDDLEWARE=stack, ROOT_URLCONF="observability.tests.failing_urls"):
        client = Client(raise_request_exception=False)
        if method == "generic":
            client.generic("FETCH", path, **extra)
        else:
            getattr(client, method)(path, **extra)
    [span] = exporter.get_finished_spans()
    return {
        "name": span.name,
        "kind": span.kind,
        "attributes": [(key, as_read(key, value)) for key, value in span.attributes.items()],
        "status": (span.status.status_code, span.status.description),
        "parent": span.parent.span_id if span.parent else None,
        "trace_id": span.context.trace_id if span.parent else None,
        "events": [(event.name, dict(event.attributes)) for event in span.events],
    }


def as_read(key, value):
    """http.route as users read it: the library writes Django's pattern, ours the template."""
    return route_template(value) if key == "http.route" else value


def settings_middleware():
    from django.conf import settings

    return settings.MIDDLEWARE


@pytest.mark.django_db
@pytest.mark.parametrize("shape", REQUESTS)
def test_the_lean_path_makes_the_span_the_library_makes(shape):
    method, path, extra = REQUESTS[shape]
    library = span_of(f"{__name__}.LibraryMiddleware", method, path, extra)
    lean = span_of(f"{__name__}.LeanMiddleware", method, path, extra)
    method_name, _, route = library["name"].partition(" ")
    if route.startswith("api/"):
        library["name"] = f"{method_name} {route_template(route)}"
    assert lean == library
    assert trace.get_current_span() is trace.INVALID_SPAN  # the context was left as found


@pytest.mark.django_db
def test_the_lean_path_resolves_once_and_builds_no_absolute_url(monkeypatch):
    resolved, built = [], []
    resolve, build = otel_middleware.resolve, django.http.request.HttpRequest.build_absolute_uri
    monkeypatch.setattr(otel_middleware, "resolve", lambda *a: resolved.append(a) or resolve(*a))
    monkeypatch.setattr(
        django.http.request.HttpRequest,
        "build_absolute_uri",
        lambda self, *a: built.append(a) or build(self, *a),
    )
    span = span_of(f"{__name__}.LeanMiddleware", "get", "/api/activities/@worf", {})
    assert span["name"] == "GET /api/activities/@{handle}"
    assert ("http.route", "/api/activities/@{handle}") in span["attributes"]
    assert resolved == []
    assert ("?",) not in built  # the library's test of the exclusion list (the view's pager
    # builds one too)


def test_a_configuration_the_lean_path_leaves_out_takes_the_library_path(monkeypatch):
    monkeypatch.setenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST", "x-tag")
    assert not LeanMiddleware(lambda request: None).lean
    monkeypatch.delenv("OTEL_INSTRUMENTATION_HTTP_CAPTURE_HEADERS_SERVER_REQUEST")
    assert LeanMiddleware(lambda request: None).lean


ENVIRON = {
    "REQUEST_METHOD": "GET", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000",
    "HTTP_HOST": "127.0.0.1:8000", "wsgi.url_scheme": "http", "PATH_INFO": "/api/activities/home",
    "QUERY_STRING": "", "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
}  # fmt: skip
VARIATIONS = [
    {},
    {"RAW_URI": "/api/activities/home?term=x"},
    {"REQUEST_URI": "/api/x", "RAW_URI": ""},
    {"QUERY_STRING": "a=1&token=t", "PATH_INFO": "/p\u00e9", "SCRIPT_NAME": "/pre"},
    {"HTTP_HOST": "", "SERVER_PORT": "0", "wsgi.url_scheme": "https"},
    {"SERVER_NAME": None, "SERVER_PROTOCOL": "HTTP/2", "REMOTE_ADDR": ""},
    {"SERVER_PROTOCOL": "", "REMOTE_PORT": "51234", "REMOTE_HOST": "client.example"},
    {"REMOTE_PORT": "not-a-port", "REMOTE_HOST": "127.0.0.1"},
    {"HTTP_USER_AGENT": "Mozilla/5.0 (compatible; Googlebot/2.1)"},
    {"HTTP_USER_AGENT": "  curl/8.0  "},
    {"REQUEST_METHOD": "FETCH"},
    {"REQUEST_METHOD": " get "},
    {"PATH_INFO": "/api/activities/@worf", "QUERY_STRING": "page=2"},
    {"PATH_INFO": "/x;y=1,2/~._-", "QUERY_STRING": "q=a%20b"},
    {"PATH_INFO": "", "SCRIPT_NAME": ""},
    {"PATH_INFO": "/a b", "HTTP_HOST": "example.test"},
]


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("host", [None, "", "127.0.0.1:8000"])
@pytest.mark.parametrize("script", [None, "", "/app"])
@pytest.mark.parametrize(
    "path", ["", "/", "/api/activities/@worf", "/p\u00e9", "/a b", "//x", "a/b"]
)
def test_the_request_uri_is_wsgirefs(scheme, host, script, path):
    environ = {"SERVER_NAME": "srv", "SERVER_PORT": "8080", "wsgi.url_scheme": scheme}
    environ |= {"PATH_INFO": path, "QUERY_STRING": "a=1&b=%20"}
    if host is not None:
        environ["HTTP_HOST"] = host
    if script is not None:
        environ["SCRIPT_NAME"] = script
    assert request_uri(environ) == wsgiref.util.request_uri(environ)


@pytest.mark.parametrize("variation", VARIATIONS)
def test_the_request_attributes_are_the_librarys_in_its_order(variation):
    environ = {**ENVIRON, **variation}
    expected = collect_request_attributes(environ)
    assert list(request_attributes(environ).items()) == list(expected.items())


def test_a_port_that_is_no_number_fails_as_in_the_library():
    environ = {**ENVIRON, "SERVER_PORT": "http"}
    with pytest.raises(ValueError, match="invalid literal"):
        collect_request_attributes(environ)
    with pytest.raises(ValueError, match="invalid literal"):
        request_attributes(environ)
