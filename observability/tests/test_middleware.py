"""A provider's middleware that breaks never fails the request and never runs the view twice; a
log call that breaks never fails it either."""

import logging

import pytest
import requests
from django.http import HttpResponse
from django.test import RequestFactory

from observability.correlation import TraceCorrelationMiddleware
from observability.middleware import FailOpen, ObservabilityMiddleware
from observability.tests.receivers import wait_for


class View:
    def __init__(self):
        self.calls = 0

    def __call__(self, request):
        self.calls += 1
        return HttpResponse("from the view")


def breaks_after(get_response):
    def middleware(request):
        get_response(request)
        raise RuntimeError("provider bug after the view")

    return middleware


def breaks_before(get_response):
    def middleware(request):
        raise RuntimeError("provider bug before the view")

    return middleware


@pytest.mark.parametrize("factory", [breaks_after, breaks_before])
def test_a_failing_provider_is_stepped_over(factory, caplog):
    view = View()
    layer = FailOpen(factory, view)
    with caplog.at_level(logging.WARNING, logger="observability.problems"):
        response = layer(RequestFactory().get("/api/activities/home"))
        layer(RequestFactory().get("/api/activities/home"))
    assert response.content == b"from the view"
    assert view.calls == 2
    assert len([r for r in caplog.records if r.name == "observability.problems"]) <= 1


def test_a_failing_hook_is_swallowed():
    class Hooked:
        def __init__(self, get_response):
            self.get_response = get_response

        def __call__(self, request):
            return self.get_response(request)

        def process_exception(self, request, exception):
            raise RuntimeError("hook bug")

    layer = FailOpen(Hooked, View())
    assert layer.hook("process_exception", RequestFactory().get("/"), ValueError()) is None


def test_a_middleware_with_hooks_only_takes_no_place_in_the_chain(monkeypatch):
    class HooksOnly:
        """Like Rollbar's: process_exception, and no __call__."""

        def __init__(self, get_response):
            self.exceptions = []

        def process_exception(self, request, exception):
            self.exceptions.append(exception)

    class Provider:
        def outer_middleware(self):
            return []

        def middleware(self):
            return [HooksOnly]

        def request_metrics(self):
            return None

    monkeypatch.setattr("observability.middleware.active_providers", lambda: [Provider()])
    view = View()
    middleware = ObservabilityMiddleware(view)
    correlation, hooks_only = (layer.layer for layer in middleware.layers)
    assert (type(correlation), type(hooks_only)) == (TraceCorrelationMiddleware, HooksOnly)
    # The correlation layer calls the view itself, and the exception still reaches the hook.
    assert correlation.get_response.get_response is view
    request = RequestFactory().get("/api/activities/home")
    assert middleware(request).content == b"from the view"
    error = RuntimeError("from the view")
    assert middleware.process_exception(request, error) is None
    assert hooks_only.exceptions == [error]


@pytest.mark.server
@pytest.mark.parametrize("providers", [(), ("otel", "xray", "cloudwatch", "rollbar")])
def test_a_malformed_log_call_never_fails_the_request(providers, moto, provider_env, serve):
    env = provider_env(*providers, DJANGO_SETTINGS_MODULE="observability.tests.failing_settings")
    with serve(**env) as url:
        response = requests.get(f"{url}/api/test/log-badly", timeout=10)
        assert (response.status_code, response.text) == (200, "logged")
        if "cloudwatch" in providers:
            logs = wait_for(lambda: [m for m in moto.log_messages("cruddur") if "fit" in m])
            assert "%s and %s (arguments that do not fit: ('only one',))" in logs[0]
