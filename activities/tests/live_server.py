"""Starting the app as users run it: gunicorn in a subprocess, on a database of its own.

Under SQLite the database is a file in the test's tmp_path (so WAL and the busy timeout are
exercised across processes); under PostgreSQL it is a scratch database created beside the test
database and dropped afterwards.
"""

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


class ServerUrl(str):
    """The base URL of a running server, which also knows its process."""

    process = None


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def server_environment(database_url, **extra):
    """The environment of a server subprocess: this one's, with the given database."""
    env = {key: value for key, value in os.environ.items() if not key.startswith("PYTEST")}
    env.update(
        {"DATABASE_URL": database_url, "DJANGO_SETTINGS_MODULE": "cruddur.settings", **extra}
    )
    return env


@contextlib.contextmanager
def database_url_for_server(tmp_path):
    """A DATABASE_URL for a server subprocess, of the same kind as the tests' database."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        yield f"sqlite:///{tmp_path / 'server.sqlite3'}"
        return
    name = f"cruddur_live_{uuid.uuid4().hex[:12]}"
    admin = psycopg.conninfo.make_conninfo(
        host=database["HOST"], port=database["PORT"] or 5432, user=database["USER"],
        password=database["PASSWORD"], dbname="postgres",
    )  # fmt: skip
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        auth = (
            f"{database['USER']}:{database['PASSWORD']}"
            if database["PASSWORD"]
            else database["USER"]
        )
        yield f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def wait_until_serving(port, process, log):
    """Wait until the server listens (a TCP connect, so no request shows in its telemetry);
    fail with its output if it died."""
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"server exited early: {log.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not answer in time")


@contextlib.contextmanager
def running_server(database_url, migrate=True, log_path=None, **extra_env):
    """Migrate (which seeds) and serve with gunicorn; yields the base URL; stops the server.
    The server's output goes to `log_path` when given."""
    env = server_environment(database_url, **extra_env)
    if migrate:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "cruddur.wsgi", "--bind", f"127.0.0.1:{port}",
        "--workers", "2", "--threads", "4", "--worker-class", "gthread", "--timeout", "30",
    ]  # fmt: skip
    log_file = open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    with log_file as log:
        process = subprocess.Popen(
            command, cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True
        )
        url = ServerUrl(f"http://127.0.0.1:{port}")
        url.process = process
        try:
            wait_until_serving(port, process, log)
            yield url
        finally:
            stop(process)


def stop(process):
    """Ask the server to stop, and make sure it does."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
