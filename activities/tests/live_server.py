"""Starting the app as users run it: nginx in front of gunicorn, as the container does
(bin/serve-proxied), in a subprocess, on a database of its own.

Under SQLite the database is a file in the test's tmp_path (so WAL and the busy timeout are
exercised across processes); under PostgreSQL it is a scratch database created beside the test
database and dropped afterwards.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings

PROJECT_DIR = Path(__file__).resolve().parents[2]
STARTUP_SECONDS = 30


class ServerUrl(str):
    """The base URL of a running server, which also knows its process."""

    process = None


def free_port(*taken):
    """A TCP port on 127.0.0.1 that nothing listens on right now (and none of `taken`)."""
    while True:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in taken:
            return port


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


def require_nginx():
    """The server runs behind nginx (Debian's package, which bin/test installs): without it the
    test skips, except in CI."""
    if shutil.which("nginx", path=f"{os.environ.get('PATH', '')}{os.pathsep}/usr/sbin"):
        return
    message = "nginx is not installed (apt-get install nginx); the server runs behind it"
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@contextlib.contextmanager
def running_server(database_url, migrate=True, log_path=None, **extra_env):
    """Migrate (which seeds) and serve as the container does: nginx in front of gunicorn (two
    workers of four threads), by bin/serve-proxied. Yields nginx's base URL, whose `process` is
    gunicorn's master; stops both. Their output goes to `log_path` when given."""
    require_nginx()
    env = server_environment(database_url, **extra_env)
    if migrate:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "--noinput"],
            cwd=PROJECT_DIR, env=env, check=True, capture_output=True,
        )  # fmt: skip
    port = free_port()
    gunicorn_port = free_port(port)
    log_file = open(log_path, "w+") if log_path else tempfile.TemporaryFile(mode="w+")  # noqa: SIM115
    with log_file as log, tempfile.TemporaryDirectory(prefix="cruddur-nginx-") as run_dir:
        env.update(
            PORT=str(port), GUNICORN_PORT=str(gunicorn_port), LISTEN_ADDRESS="127.0.0.1",
            NGINX_RUN_DIR=run_dir,
        )  # fmt: skip
        process = subprocess.Popen(
            [sys.executable, "bin/serve-proxied", "--workers", "2", "--threads", "4"],
            cwd=PROJECT_DIR, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        url = ServerUrl(f"http://127.0.0.1:{port}")
        url.process = process
        try:
            wait_until_serving(gunicorn_port, process, log)  # nginx listens before gunicorn starts
            yield url
        finally:
            stop(process)
            stop_nginx(Path(run_dir))


def stop(process):
    """Ask the server to stop, and make sure it does."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def stop_nginx(run_dir, timeout=10):
    """Stop the nginx that bin/serve-proxied left running in the background (its pid file says
    which), and wait until it has gone."""
    pid_file = run_dir / "nginx.pid"
    deadline = time.monotonic() + 1
    while not (pid_file.exists() and pid_file.read_text().strip()):
        if time.monotonic() > deadline:
            return  # it never started
        time.sleep(0.05)
    pid = int(pid_file.read_text())
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)


def is_running(pid):
    """Whether `pid` runs (a zombie does not: nginx is not our child, we cannot reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, ProcessLookupError):
        return False
