"""Slow clients do not starve the server (served as the container serves it: nginx in front of
gunicorn). While 112 connections trickle their headers a byte at a time or hold a partial body, the
health check and the home feed answer 200 within LATENCY_BOUND; and a request that stalls, in its
headers or in its body, is dropped by the server within STALL_BOUND (nginx.conf's timeouts). What
nginx refuses by itself is answered in the API's shape, as the app would.

Every load here stops itself, and only 127.0.0.1 is spoken to. The figures are printed and saved
in test-artifacts/slow_clients.json.
"""

import asyncio
import contextlib
import http.client
import json
import socket
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from django.conf import settings

from activities.tests.live_server import database_url_for_server, running_server

pytestmark = pytest.mark.server

TRICKLERS = 96  # connections that send their headers a byte at a time
PARTIAL_BODIES = 16  # connections that send their headers and part of a body, then nothing
BYTE_INTERVAL = 0.5  # seconds between two trickled bytes
RAMP_SECONDS = 2  # for every slow connection to be open and to have sent its first bytes
MEASURE_SECONDS = 10  # how long the health check and the feed are timed under the slow load
LATENCY_BOUND = 3.0  # seconds; both answer in tens of milliseconds when no client is slow
STALL_BOUND = 15  # seconds: nginx.conf's client_header_timeout and client_body_timeout
STALL_SLACK = 5  # seconds, for a loaded machine
PATHS = ["/api/health-check", "/api/activities/home"]
ARTIFACT = Path(settings.BASE_DIR) / "test-artifacts" / "slow_clients.json"

TRICKLED_HEADERS = (
    b"GET /api/activities/home HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: slow-client-test\r\n"
    b"Accept: application/json\r\nX-Padding: " + b"p" * 64 + b"\r\n\r\n"
)  # 85 s at one byte per BYTE_INTERVAL: never done while measured
PARTIAL_BODY = (
    b"POST /api/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
    b'Content-Length: 100\r\n\r\n{"message": "slow'
)
PARTIAL_HEADERS = b"GET /api/health-check HTTP/1.1\r\nHost: 127.0"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """One server for this module's tests."""
    tmp_path = tmp_path_factory.mktemp("slow_clients")
    with database_url_for_server(tmp_path) as database_url, running_server(database_url) as url:
        yield url


def port_of(url):
    return int(url.rsplit(":", 1)[1])


class SlowLoad:
    """The slow connections, on an asyncio loop in a thread of its own, for `seconds` at most.
    One the server closes is opened again after a pause, so that the pressure stays."""

    def __init__(self, port, seconds):
        self.port, self.seconds = port, seconds
        self.open = self.peak_open = self.connects = 0
        self.thread = threading.Thread(target=asyncio.run, args=(self.run(),), daemon=True)

    async def run(self):
        behaviours = [self.trickle] * TRICKLERS + [self.hold_partial_body] * PARTIAL_BODIES
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(
                asyncio.gather(*(self.keep_open(behave) for behave in behaviours)), self.seconds
            )

    async def keep_open(self, behave):
        while True:
            with contextlib.suppress(OSError):
                reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
                self.connects += 1
                self.open += 1
                self.peak_open = max(self.peak_open, self.open)
                try:
                    await behave(reader, writer)
                finally:
                    self.open -= 1
                    writer.close()
            await asyncio.sleep(BYTE_INTERVAL)

    async def trickle(self, reader, writer):
        for byte in TRICKLED_HEADERS:
            if reader.at_eof():
                return
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(BYTE_INTERVAL)
        await reader.read()

    async def hold_partial_body(self, reader, writer):
        writer.write(PARTIAL_BODY)
        await writer.drain()
        await reader.read()  # until the server drops it

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc_info):
        self.thread.join(self.seconds + 5)


def timed_requests(url, seconds):
    """GET each of PATHS in turn, each on a new connection, for `seconds`:
    [(path, status or error name, seconds taken)]."""
    results, deadline = [], time.monotonic() + seconds
    while time.monotonic() < deadline:
        for path in PATHS:
            start = time.monotonic()
            try:
                status = requests.get(url + path, timeout=LATENCY_BOUND * 2).status_code
            except requests.RequestException as error:
                status = type(error).__name__
            results.append((path, status, time.monotonic() - start))
    return results


def summary(results):
    figures = {}
    for path in PATHS:
        seconds = [taken for p, _, taken in results if p == path]
        figures[path] = {
            "requests": len(seconds),
            "not_200": sum(status != 200 for p, status, _ in results if p == path),
            "median_ms": round(statistics.median(seconds) * 1000, 1),
            "max_ms": round(max(seconds) * 1000, 1),
        }
    return figures


def test_slow_clients_leave_the_health_check_and_the_feed_answering(server):
    for path in PATHS:  # the first requests of a worker load what it serves lazily
        requests.get(server + path, timeout=30)
    baseline = timed_requests(server, 2)
    with SlowLoad(port_of(server), RAMP_SECONDS + MEASURE_SECONDS) as load:
        time.sleep(RAMP_SECONDS)
        under_load = timed_requests(server, MEASURE_SECONDS)
    figures = {
        "slow_connections_at_once": load.peak_open, "slow_connects": load.connects,
        "baseline": summary(baseline), "under_slow_load": summary(under_load),
    }  # fmt: skip
    ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
    ARTIFACT.write_text(json.dumps(figures, indent=2))
    print("slow clients:", json.dumps(figures))

    assert load.peak_open >= 100
    answers = [(path, status, round(taken, 2)) for path, status, taken in under_load]
    assert {status for _, status, _ in answers} == {200}, answers
    assert max(taken for _, _, taken in answers) <= LATENCY_BOUND, answers


def seconds_until_dropped(port, first_bytes, then_trickle=b""):
    """Send `first_bytes`, then `then_trickle` a byte at a time, then nothing; the seconds until
    the server drops the connection (None: not within STALL_BOUND + STALL_SLACK)."""
    limit = STALL_BOUND + STALL_SLACK
    with socket.create_connection(("127.0.0.1", port), timeout=limit) as sock:
        start = time.monotonic()
        try:
            sock.sendall(first_bytes)
            for byte in then_trickle:
                if time.monotonic() - start > limit:
                    return None
                sock.sendall(bytes([byte]))
                time.sleep(BYTE_INTERVAL)
            sock.settimeout(max(limit - (time.monotonic() - start), 0.1))
            while sock.recv(4096):
                pass
        except ConnectionError:
            pass
        except TimeoutError:
            return None
        return time.monotonic() - start


def test_a_stalled_request_is_dropped_within_the_bound(server):
    stalls = {
        "headers_stalled": (PARTIAL_HEADERS, b""),
        "headers_trickled": (b"", TRICKLED_HEADERS),
        "body_stalled": (PARTIAL_BODY, b""),
    }
    with ThreadPoolExecutor(len(stalls)) as pool:
        futures = {
            name: pool.submit(seconds_until_dropped, port_of(server), *sent)
            for name, sent in stalls.items()
        }
    dropped_after = {name: future.result() for name, future in futures.items()}
    print("stalled requests dropped after (s):", dropped_after)

    assert all(seconds is not None for seconds in dropped_after.values()), dropped_after
    assert max(dropped_after.values()) <= STALL_BOUND + STALL_SLACK, dropped_after


def raw_exchange(port, request):
    """Send `request` bytes as they are; the answer's (status, headers, body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        return response.status, response.headers, response.read()


REFUSED_BY_NGINX = {
    # over nginx's limit (with the default CRUDDUR_MAX_BODY_BYTES): refused on its length alone
    "body_too_large": (
        b"POST /api/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1048577\r\nConnection: close\r\n\r\n",
        413,
        ["body_too_large"],
    ),
    "nul_in_path": (
        b"GET /api/activities/@%00 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        400,
        ["bad_request"],
    ),
    # nginx refuses TRACE by itself; it hands it to the app, which knows the path's methods
    "trace": (
        b"TRACE /api/activities HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
        405,
        ["method_not_allowed"],
    ),
}


@pytest.mark.parametrize(
    ("request_bytes", "status", "codes"), REFUSED_BY_NGINX.values(), ids=REFUSED_BY_NGINX
)
def test_what_nginx_refuses_is_answered_in_the_api_shape(server, request_bytes, status, codes):
    answered, headers, body = raw_exchange(port_of(server), request_bytes)
    assert answered == status, body
    assert headers["Content-Type"] == "application/json"
    assert json.loads(body) == codes
    assert status != 405 or headers["Allow"] == "GET, POST, HEAD, OPTIONS"
