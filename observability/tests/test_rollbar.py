"""Rollbar through its SDK and Django middleware to a local receiver in its API's place:
/rollbar/test, unhandled exceptions with their request, the request's Rollbar session, and 4xx
never reported."""

import re

import pytest
import requests

from observability.tests.conftest import ROLLBAR_TOKEN
from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server
FAILING_APP = {"DJANGO_SETTINGS_MODULE": "observability.tests.failing_settings"}


def test_rollbar_test_page_reports_hello_world_as_a_warning(rollbar_api, provider_env, serve):
    with serve(**provider_env("rollbar")) as url:
        response = requests.get(f"{url}/rollbar/test", timeout=10)
        assert (response.status_code, response.text) == (200, "Hello World!")
        [item] = wait_for(rollbar_api.items)
    data = item["data"]
    assert data["level"] == "warning"
    assert data["body"]["message"]["body"] == "Hello World!"
    assert data["request"]["url"].endswith("/rollbar/test")
    assert data["environment"] == "production"
    assert rollbar_api.requests[0]["headers"]["X-Rollbar-Access-Token"] == ROLLBAR_TOKEN
    # The token goes in the header only, never in the item.
    assert "access_token" not in item
    assert ROLLBAR_TOKEN.encode() not in rollbar_api.requests[0]["body"]


def test_unhandled_exception_is_reported_with_its_request(rollbar_api, provider_env, serve):
    with serve(**provider_env("rollbar", **FAILING_APP)) as url:
        response = requests.get(f"{url}/api/test/explode?x=1", timeout=10)
        assert response.status_code == 500
        assert response.json() == ["internal_server_error"]
        [item] = wait_for(rollbar_api.items)
    data = item["data"]
    assert data["level"] == "error"
    assert data["body"]["trace"]["exception"]["class"] == "RuntimeError"
    message = data["body"]["trace"]["exception"]["message"]
    assert message.startswith("the test view failed on purpose at /api/test/explode")
    assert data["request"]["url"].endswith("/api/test/explode?x=1")
    assert data["request"]["method"] == "GET"


def test_the_items_of_a_request_share_its_rollbar_session(rollbar_api, provider_env, serve):
    # What Rollbar's middleware gave every item: the session id the request's `baggage` header
    # carries, one execution scope id per request, the view's name and the framework.
    baggage = "rollbar.session.id=browser-session-1, other=1"
    with serve(**provider_env("rollbar", **FAILING_APP)) as url:
        path = f"{url}/api/test/report-then-explode"
        assert requests.get(path, headers={"baggage": baggage}, timeout=10).status_code == 500
        requests.get(f"{url}/rollbar/test", timeout=10)
        items = wait_for(lambda: len(rollbar_api.items()) == 3 and rollbar_api.items())
    by_level = {item["data"]["level"]: item["data"] for item in items}
    message, exception, hello = by_level["info"], by_level["error"], by_level["warning"]
    assert message["body"]["message"]["body"] == "about to fail"
    assert exception["body"]["trace"]["exception"]["class"] == "RuntimeError"
    scope = message["attributes"][1]["value"]
    assert re.fullmatch("[0-9a-f]{32}", scope)
    for data in (message, exception):
        assert data["attributes"] == [
            {"key": "session_id", "value": "browser-session-1"},
            {"key": "execution_scope_id", "value": scope},
        ]
        assert (data["context"], data["framework"]) == ("report-then-explode", "django")
    [other_scope] = hello["attributes"]
    assert other_scope["key"] == "execution_scope_id"
    assert re.fullmatch("[0-9a-f]{32}", other_scope["value"])
    assert other_scope["value"] != scope
    assert (hello["context"], hello["framework"]) == ("rollbar-test", "django")


def test_client_errors_are_not_reported(rollbar_api, provider_env, serve):
    with serve(**provider_env("rollbar", **FAILING_APP)) as url:
        assert requests.get(f"{url}/api/nothing-here", timeout=10).status_code == 404
        assert requests.get(f"{url}/api/activities/@nobody", timeout=10).status_code == 404
        assert requests.post(f"{url}/api/activities", json={}, timeout=10).status_code == 422
        assert requests.post(f"{url}/api/activities", data="{", timeout=10).status_code in (
            400,
            415,
        )
        requests.get(f"{url}/rollbar/test", timeout=10)
        wait_for(rollbar_api.items)
        wait_for(lambda: len(rollbar_api.items()) > 1, timeout=1)
    assert [item["data"]["level"] for item in rollbar_api.items()] == ["warning"]


@pytest.mark.parametrize("method", ["post", "put", "delete", "trace", "query"])
def test_rollbar_test_page_answers_only_get(method):
    from django.test import Client

    # CSRF checks on, as in a real server: a POST without a token still gets 405, not 403.
    response = Client(enforce_csrf_checks=True).generic(method.upper(), "/rollbar/test")
    assert (response.status_code, response.json()) == (405, ["method_not_allowed"])
    assert response["Allow"] == "GET, HEAD"
