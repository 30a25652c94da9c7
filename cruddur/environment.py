"""Reading settings from environment variables without ever crashing on a value.

A value that does not parse (`DJANGO_SECURE_HSTS_SECONDS=1y`) is not a traceback from settings.py
that stops every command, `check` included: it is recorded with the variable's name, the default
is used, and `manage.py check` (which runserver and migrate run first) names it as cruddur.E001.
"""

import contextlib
import os
import secrets
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

TRUE = {"1", "true", "yes", "on"}
FALSE = {"0", "false", "no", "off", ""}


class Environment:
    """Typed reads of os.environ; `problems` lists what did not parse, one sentence each."""

    def __init__(self, environ):
        self.environ = environ
        self.problems = []

    def str(self, name, default=""):
        """The value as given, or `default` when unset or empty."""
        return self.environ.get(name) or default

    def bool(self, name, default=False):
        """1/true/yes/on or 0/false/no/off (any case; empty is false); `default` when unset."""
        value = self.environ.get(name)
        if value is None:
            return default
        word = value.strip().lower()
        if word in TRUE or word in FALSE:
            return word in TRUE
        return self._problem(name, value, "true or false (1/0, yes/no, on/off)", default)

    def int(self, name, default, minimum=0):
        """A whole number of at least `minimum`; `default` when unset or empty."""
        value = self.environ.get(name, "").strip()
        if not value:
            return default
        try:
            number = int(value)
        except ValueError:
            number = None
        if number is None or number < minimum:
            return self._problem(name, value, f"a whole number of at least {minimum}", default)
        return number

    def choice(self, name, default, choices):
        """One of `choices` (compared in upper case); `default` when unset or empty."""
        value = self.environ.get(name, "").strip()
        if not value:
            return default
        if value.upper() in choices:
            return value.upper()
        return self._problem(name, value, f"one of {', '.join(choices)}", default)

    def database(self, name, default, **options):
        """DATABASES["default"] from a URL as dj-database-url reads it. A URL it cannot read is a
        problem named without the URL itself (it holds a password), and no database is used:
        every query fails until it is fixed, rather than the app quietly using another one."""
        import dj_database_url

        try:
            return dj_database_url.parse(self.str(name, default), **options)
        except ValueError as error:
            reason = str(error).split(". ", 1)[0].rstrip(".")
            self.problems.append(f"{name} is not a database URL dj-database-url reads: {reason}.")
            return {"ENGINE": "django.db.backends.dummy"}

    def _problem(self, name, value, expected, default):
        shown = value if len(value) <= 40 else value[:40] + "..."
        self.problems.append(f"{name}={shown!r} is not {expected}; {default!r} is used instead.")
        return default


def origin_of(url):
    """The scheme://host[:port] origin of a URL, or None for a value that is not an http(s) URL."""
    try:
        parts = urlsplit(url.strip())
        netloc = parts.netloc
        parts.port  # noqa: B018  (raises on a port that is no number)
    except ValueError:
        return None
    if parts.scheme not in {"http", "https"} or not netloc:
        return None
    return f"{parts.scheme}://{netloc}"


def workspace_url(environ, port):
    """The public URL of a forwarded port in Gitpod or Codespaces, or None outside them."""
    gitpod_id = environ.get("GITPOD_WORKSPACE_ID")
    gitpod_host = environ.get("GITPOD_WORKSPACE_CLUSTER_HOST")
    if gitpod_id and gitpod_host:
        return f"https://{port}-{gitpod_id}.{gitpod_host}"
    codespace = environ.get("CODESPACE_NAME")
    codespace_domain = environ.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN")
    if codespace and codespace_domain:
        return f"https://{codespace}-{port}.{codespace_domain}"
    return None


def public_origins(environ, frontend_port, backend_port):
    """Origins of the frontend and the backend: FRONTEND_URL/BACKEND_URL, else the workspace's."""
    frontend = environ.get("FRONTEND_URL") or workspace_url(environ, frontend_port)
    backend = environ.get("BACKEND_URL") or workspace_url(environ, backend_port)
    if not frontend and not backend:
        frontend = f"http://localhost:{frontend_port}"
    origins = [origin_of(url) for url in (frontend, backend) if url]
    return list(dict.fromkeys(origin for origin in origins if origin))


def allowed_hosts(environ, origins, local_hosts):
    """Loopback, the hosts of the public origins, and DJANGO_ALLOWED_HOSTS."""
    hosts = local_hosts + [urlsplit(origin).hostname for origin in origins]
    hosts += [host.strip() for host in environ.get("DJANGO_ALLOWED_HOSTS", "").split(",")]
    return list(dict.fromkeys(host for host in hosts if host))


def shared_secret_key(path):
    """The secret key kept in `path`, made there on first use: every process on this machine
    (each gunicorn worker, the next deploy of the same checkout) signs with the same key, so what
    one worker signed (a paging cursor) another honours. None when the file can be neither read
    nor written (a read-only file system)."""
    path = Path(path)
    try:
        return _read_key(path) or _create_key(path)
    except OSError:
        return None


def _read_key(path):
    try:
        key = path.read_text().strip()
    except FileNotFoundError:
        return None
    return key if len(key) >= 50 else None


def _create_key(path):
    """Writes a new key beside `path` and links it into place, so that processes starting together
    all end up with the one key that got there first, never with a half-written file."""
    descriptor, scratch = tempfile.mkstemp(dir=path.parent, prefix=".secret-key-")
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50) + "\n")
        with contextlib.suppress(FileExistsError):  # another process was first: its key counts
            os.link(scratch, path)
    finally:
        Path(scratch).unlink(missing_ok=True)
    return _read_key(path)
