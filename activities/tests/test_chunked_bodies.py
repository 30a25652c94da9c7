"""A POST sent with `Transfer-Encoding: chunked` and no Content-Length is read, not lost.

Under gunicorn (which de-chunks) the writes succeed as with a Content-Length, and a body over the
limit answers 413; a body cut off before its last chunk creates nothing. Where the server does
not de-chunk (runserver), the answer is 411, in JSON. See cruddur/chunked.py.
"""

import contextlib
import http.client
import io
import json
import socket
import subprocess
import sys
import uuid
from urllib.parse import urlsplit

import pytest
import requests
from django.conf import settings

from activities import seed
from activities.tests import live_server


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """One gunicorn for this module's tests (each looks only at what it created itself)."""
    tmp_path = tmp_path_factory.mktemp("chunked")
    with (
        live_server.database_url_for_server(tmp_path) as database_url,
        live_server.running_server(database_url) as url,
    ):
        yield url


@contextlib.contextmanager
def connection_to(url):
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    try:
        yield connection
    finally:
        connection.close()


def post_chunked(url, path, body, chunk_size=7):
    """POSTs `body` in chunks of `chunk_size` bytes (http.client sends an iterable body chunked,
    without a Content-Length); answers (status, Content-Type, decoded JSON)."""
    chunks = (body[start : start + chunk_size] for start in range(0, len(body), chunk_size))
    with connection_to(url) as connection:
        connection.request("POST", path, body=chunks, headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.getheader("Content-Type"), json.loads(response.read())


def listed_uuids(url, path):
    response = requests.get(f"{url}{path}", params={"page_size": 100}, timeout=10)
    return {item["uuid"] for item in response.json()}


@pytest.mark.server
@pytest.mark.parametrize(
    ("path", "fields", "listing"),
    [
        ("/api/activities", {"ttl": "1-day"}, "/api/activities/home"),
        (
            f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply",
            {},
            f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply",
        ),
        ("/api/messages", {"user_receiver_handle": "worf"}, "/api/messages/@worf"),
    ],
    ids=["activity", "reply", "message"],
)
def test_chunked_post_is_created_and_listed(gunicorn, path, fields, listing):
    message = f"chunked \u2615 \U0001f680 {uuid.uuid4()}"  # multi-byte characters cut by chunks
    body = json.dumps({"message": message, **fields}, ensure_ascii=False).encode()

    status, content_type, created = post_chunked(gunicorn, path, body)

    assert (status, content_type) == (200, "application/json"), created
    assert created["message"] == message
    assert created["uuid"] in listed_uuids(gunicorn, listing)


@pytest.mark.server
def test_chunked_body_of_exactly_the_limit_is_read(gunicorn):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"message": "", "ttl": "1-day"}).encode()
    body = body.replace(b'""', b'"' + b"x" * (limit - len(body)) + b'"')
    assert len(body) == limit

    status, _, codes = post_chunked(gunicorn, "/api/activities", body, chunk_size=4096)

    assert (status, codes) == (422, ["message_exceed_max_chars"])


@pytest.mark.server
def test_chunked_body_over_the_limit_is_413_json(gunicorn):
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    message = "x" * limit
    body = json.dumps({"message": message, "ttl": "1-day"}).encode()

    status, content_type, codes = post_chunked(gunicorn, "/api/activities", body, chunk_size=4096)

    assert (status, content_type, codes) == (413, "application/json", ["body_too_large"])


def raw_exchange(url, request):
    """Sends `request` bytes, closes the sending side, and answers all the server sent back."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=30) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        received = b""
        while data := sock.recv(65536):
            received += data
        return received


def chunk_encoded(body, chunk_size=4096, last_chunk=True):
    """`body` framed in chunks; `last_chunk=False` leaves out the final zero-size chunk, so the
    body never ends."""
    parts = (body[start : start + chunk_size] for start in range(0, len(body), chunk_size))
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in parts)
    return chunks + (b"0\r\n\r\n" if last_chunk else b"")


def chunked_request(path, body, **framing):
    """A raw HTTP/1.1 POST of a JSON `body`, chunked (see `chunk_encoded`)."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    )
    return head.encode() + chunk_encoded(body, **framing)


@pytest.mark.server
def test_chunked_body_cut_off_before_its_last_chunk_creates_nothing(gunicorn):
    message = f"never finished {uuid.uuid4()}"
    # Complete JSON, padded to several reads, so that a reader that kept what arrived before the
    # body broke off would have a valid activity to create.
    body = json.dumps({"message": message, "ttl": "1-day"}).encode() + b" " * 40_000

    answer = raw_exchange(gunicorn, chunked_request("/api/activities", body, last_chunk=False))

    assert not answer.startswith(b"HTTP/1.1 200")
    feed = requests.get(f"{gunicorn}/api/activities/home", timeout=10).json()
    assert message not in {item["message"] for item in feed}


def runserver_environ(body):
    """The environ that `manage.py runserver` (wsgiref) gives a chunked POST: no Content-Length,
    no `wsgi.input_terminated`, and the chunks still undecoded on the input."""
    return {
        "REQUEST_METHOD": "POST", "PATH_INFO": "/api/activities", "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
        "SERVER_PROTOCOL": "HTTP/1.1", "CONTENT_TYPE": "application/json",
        "HTTP_TRANSFER_ENCODING": "chunked", "wsgi.input": io.BytesIO(body),
        "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http", "wsgi.version": (1, 0),
        "wsgi.multithread": True, "wsgi.multiprocess": False, "wsgi.run_once": False,
    }  # fmt: skip


@pytest.mark.django_db
def test_chunked_post_where_the_server_does_not_dechunk_is_411_json():
    from cruddur.wsgi import application

    environ = runserver_environ(chunk_encoded(b'{"message": "hi", "ttl": "1-day"}'))
    started = []

    def start_response(status, headers, exc_info=None):
        started.append((status, headers))

    answer = b"".join(application(environ, start_response))

    [(status, headers)] = started
    assert status.startswith("411 ")
    assert dict(headers)["Content-Type"] == "application/json"
    assert json.loads(answer) == ["length_required"]


@pytest.fixture
def runserver(tmp_path):
    """`manage.py runserver` as a developer starts it (without the autoreloader)."""
    port = live_server.free_port()
    command = [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]
    environment = live_server.server_environment(f"sqlite:///{tmp_path / 'runserver.sqlite3'}")
    with (tmp_path / "runserver.log").open("w+") as log:
        process = subprocess.Popen(
            command, cwd=live_server.PROJECT_DIR, env=environment, stdout=log,
            stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        try:
            live_server.wait_until_serving(port, process, log)
            yield f"http://127.0.0.1:{port}"
        finally:
            live_server.stop(process)


@pytest.mark.server
def test_runserver_answers_a_chunked_post_411_json_and_closes_the_connection(runserver):
    body = b'{"message": "hi", "ttl": "1-day"}'

    answer = raw_exchange(runserver, chunked_request("/api/activities", body))

    head, _, content = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 411 ")
    assert b"\r\nContent-Type: application/json" in head
    assert b"\r\nConnection: close" in head
    # One answer only: the unread chunks were not taken for a second request.
    assert (answer.count(b"HTTP/1.1 "), json.loads(content)) == (1, ["length_required"])
