"""Fixtures shared by the API tests: a client, the seed data, and a real server in a subprocess."""

import pytest
from rest_framework.test import APIClient

from activities.seed import load_seed
from activities.tests.live_server import database_url_for_server, running_server


@pytest.fixture
def api():
    """A DRF test client that sends JSON bodies, as the React frontend does."""
    client = APIClient()
    client.default_format = "json"
    return client


@pytest.fixture
def seeded(db):
    """The seed content, loaded afresh for this test (other tests may have flushed the tables)."""
    load_seed()


@pytest.fixture
def server(tmp_path):
    """The app under gunicorn (2 workers x 4 threads) on its own migrated, seeded database."""
    with database_url_for_server(tmp_path) as database_url, running_server(database_url) as url:
        yield url
