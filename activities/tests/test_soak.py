"""A soak: a minute of load on a running server (gunicorn, 2 workers x 4 threads), from several
connections at once, on a mix of reads and writes. Every answer is a 200, nothing that was accepted
is missing afterwards, and each worker's memory at the end is within a few MB of where it settled.
The figures are printed and saved in test-artifacts/soak.json."""

import itertools
import json
import re
import threading
import time
from pathlib import Path

import pytest
import requests
from django.conf import settings

pytestmark = pytest.mark.server

SECONDS = 60
CONNECTIONS = 6
SETTLED_AT = 30  # seconds into the load: caches filled, connections open
TOLERANCE_MB = 5
SEEDED_ACTIVITY = "68f126b0-1ceb-4a33-88be-d90fa7109eee"
ARTIFACT = Path(settings.BASE_DIR) / "test-artifacts" / "soak.json"


def rss_mb(pid):
    match = re.search(r"VmRSS:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024


def worker_pids(master, expected=2, timeout=30):
    """The pids of the server's workers, once all of them have started."""
    deadline = time.monotonic() + timeout
    while True:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) >= expected or time.monotonic() > deadline:
            return [int(pid) for pid in children]
        time.sleep(0.1)


class Load:
    """Connections that each go round the mix until the deadline, and what they saw."""

    def __init__(self, url, deadline):
        self.url, self.deadline = url, deadline
        self.requests, self.errors, self.posted, self.replies = 0, [], [], 0
        self.lock = threading.Lock()

    def mix(self, n):
        post = {"message": f"soak {n}", "ttl": "1-day"}
        return [
            ("get", "/api/activities/home", None),
            ("get", "/api/activities/search?term=cloud", None),
            ("post", "/api/activities", post),
            ("get", "/api/activities/@andrewbrown", None),
            ("post", f"/api/activities/{SEEDED_ACTIVITY}/reply", {"message": f"reply {n}"}),
            ("get", f"/api/activities/{SEEDED_ACTIVITY}", None),
            ("get", "/api/message_groups", None),
            ("post", "/api/messages", {"message": f"hi {n}", "user_receiver_handle": "worf"}),
            ("get", "/api/messages/@worf", None),
        ]

    def connection(self, number):
        session = requests.Session()
        for n in itertools.count():
            for method, path, body in self.mix(f"{number}-{n}"):
                if time.monotonic() > self.deadline:
                    return
                self.one(session, method, path, body)

    def one(self, session, method, path, body):
        try:
            response = session.request(method, self.url + path, json=body, timeout=10)
            ok = response.status_code == 200
        except requests.RequestException as error:
            response, ok = error, False
        with self.lock:
            self.requests += 1
            if not ok:
                self.errors.append(f"{method.upper()} {path}: {response!r}"[:300])
            elif path == "/api/activities":
                self.posted.append(response.json()["uuid"])
            elif path.endswith("/reply"):
                self.replies += 1


def user_activity_uuids(url, handle):
    uuids, next_url = set(), f"{url}/api/activities/@{handle}?page_size=100"
    while next_url:
        response = requests.get(next_url, timeout=10)
        uuids |= {activity["uuid"] for activity in response.json()}
        next_url = response.links.get("next", {}).get("url")
    return uuids


def test_a_minute_of_mixed_load(server):
    workers = worker_pids(server.process.pid)
    assert len(workers) == 2
    start = time.monotonic()
    load = Load(server, start + SECONDS)
    threads = [threading.Thread(target=load.connection, args=(i,)) for i in range(CONNECTIONS)]
    for thread in threads:
        thread.start()
    samples = []  # (seconds into the load, {pid: MB})
    while any(thread.is_alive() for thread in threads):
        samples.append((time.monotonic() - start, {pid: rss_mb(pid) for pid in workers}))
        time.sleep(1)
    for thread in threads:
        thread.join()

    settled = next(memory for at, memory in samples if at >= SETTLED_AT)
    end = samples[-1][1]
    figures = {
        "seconds": SECONDS, "connections": CONNECTIONS, "requests": load.requests,
        "requests_per_second": round(load.requests / SECONDS, 1), "errors": len(load.errors),
        "activities_posted": len(load.posted), "replies_posted": load.replies,
        "workers_mb": {
            str(pid): {
                "start": round(samples[0][1][pid], 1), f"at_{SETTLED_AT}s": round(settled[pid], 1),
                "end": round(end[pid], 1), "peak": round(max(m[pid] for _, m in samples), 1),
            }
            for pid in workers
        },
    }  # fmt: skip
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2))
    print("soak:", json.dumps(figures))

    assert load.errors == [], load.errors[:20]
    assert load.requests > SECONDS * 10
    # Nothing accepted is lost: every posted activity is in the feed, every reply is counted.
    assert set(load.posted) <= user_activity_uuids(server, "andrewbrown")
    parent = requests.get(f"{server}/api/activities/{SEEDED_ACTIVITY}", timeout=10).json()
    assert parent["replies_count"] == 1 + load.replies  # the seeded reply, and ours
    for pid in workers:
        growth = end[pid] - settled[pid]
        assert growth <= TOLERANCE_MB, f"worker {pid} grew {growth:.1f} MB after settling"
