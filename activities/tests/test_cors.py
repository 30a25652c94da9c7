"""CORS as the React frontend needs it: its JSON POSTs' preflight succeeds, others get nothing."""

import pytest
from django.test import Client

FRONTEND = "http://localhost:3000"


def preflight(origin, method="POST", headers="content-type", path="/api/activities"):
    return Client().options(
        path,
        HTTP_ORIGIN=origin,
        HTTP_ACCESS_CONTROL_REQUEST_METHOD=method,
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS=headers,
    )


@pytest.mark.parametrize(
    "path", ["/api/activities", "/api/messages", "/api/activities/x/reply", "/api/activities/home"]
)
def test_preflight_of_a_json_post_from_the_frontend_succeeds(path):
    response = preflight(FRONTEND, path=path)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {
        "OPTIONS",
        "GET",
        "HEAD",
        "POST",
    }
    assert set(response["Access-Control-Allow-Headers"].split(", ")) == {
        "content-type",
        "if-modified-since",
    }


@pytest.mark.django_db
def test_simple_request_exposes_location_and_link():
    response = Client().get("/api/activities/home", HTTP_ORIGIN=FRONTEND)
    assert response["Access-Control-Allow-Origin"] == FRONTEND
    assert set(response["Access-Control-Expose-Headers"].split(", ")) == {"location", "link"}


def test_other_origins_are_not_allowed():
    response = preflight("https://evil.example")
    assert "Access-Control-Allow-Origin" not in response


def test_origins_come_from_frontend_and_backend_url(settings):
    settings.CORS_ALLOWED_ORIGINS = ["https://app.example.com", "https://api.example.com"]
    assert preflight("https://app.example.com")["Access-Control-Allow-Origin"]
    assert "Access-Control-Allow-Origin" not in preflight(FRONTEND)
