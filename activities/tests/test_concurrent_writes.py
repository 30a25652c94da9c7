"""Concurrent writes lose nothing: 50 creates from several threads against a running server
(gunicorn, 2 processes x 4 threads) all come back in the feed, on SQLite and on PostgreSQL."""

from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

WRITES = 50
THREADS = 10


@pytest.mark.server
def test_fifty_concurrent_creates_all_arrive(server):
    def create(i):
        response = requests.post(
            f"{server}/api/activities",
            json={"message": f"concurrent {i}", "ttl": "1-day"},
            timeout=30,
        )
        return response.status_code, response.json()

    with ThreadPoolExecutor(THREADS) as pool:
        results = list(pool.map(create, range(WRITES)))

    assert [status for status, _ in results] == [200] * WRITES
    created = {body["uuid"] for _, body in results}
    feed = requests.get(
        f"{server}/api/activities/home", params={"page_size": 100}, timeout=10
    ).json()
    in_feed = {item["message"] for item in feed if item["message"].startswith("concurrent ")}
    assert in_feed == {f"concurrent {i}" for i in range(WRITES)}
    assert created <= {item["uuid"] for item in feed}


@pytest.mark.server
def test_fifty_concurrent_replies_are_all_counted(server):
    parent = "68f126b0-1ceb-4a33-88be-d90fa7109eee"

    def reply(i):
        url = f"{server}/api/activities/{parent}/reply"
        return requests.post(url, json={"message": f"reply {i}"}, timeout=30).status_code

    with ThreadPoolExecutor(THREADS) as pool:
        assert list(pool.map(reply, range(WRITES))) == [200] * WRITES

    thread = requests.get(f"{server}/api/activities/{parent}", timeout=10).json()
    assert thread["replies_count"] == 1 + WRITES
