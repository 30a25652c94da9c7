"""The health check answers 200 while the database answers, and 503 (not 500) when it does not."""

import pytest
from django.test import Client

from activities.tests.live_server import free_port, running_server


@pytest.mark.django_db
def test_health_check_is_200_with_a_database():
    response = Client().get("/api/health-check")
    assert (response.status_code, response.json()) == (200, {"success": True})


@pytest.mark.server
def test_health_check_is_503_when_the_database_is_down():
    unreachable = f"postgres://postgres@127.0.0.1:{free_port()}/nothing?connect_timeout=2"
    with running_server(unreachable, migrate=False) as url:
        import requests

        response = requests.get(f"{url}/api/health-check", timeout=10)
        assert (response.status_code, response.json()) == (503, {"success": False})
