"""The benchmark's databases: one migrated (and perhaps filled) template per data set, and a fresh
copy of it for each run, so that runs side by side never share rows or locks, and every run starts
from the same rows whatever the POSTs of another run added.

SQLite copies are files made with SQLite's backup API (which reads the WAL too); PostgreSQL copies
are `CREATE DATABASE ... TEMPLATE`, on the server that `--postgresql` names. Every PostgreSQL
database made here is called bench_<random>... and is dropped at the end.
"""

import contextlib
import itertools
import os
import sqlite3
import subprocess
import sys
import urllib.parse
from pathlib import Path

import psycopg

PROJECT_DIR = Path(__file__).resolve().parents[1]
POSTGRESQL = "postgres://postgres@127.0.0.1:5432/postgres"


def manage(database_url, *arguments):
    """`manage.py` with `arguments`, on `database_url`; its output, or an error with its stderr."""
    result = subprocess.run(
        [sys.executable, "manage.py", *arguments], cwd=PROJECT_DIR, capture_output=True,
        text=True, env={**os.environ, "DATABASE_URL": database_url},
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"manage.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class SqliteTemplate:
    """A migrated SQLite file in `workdir`, and copies of it beside it."""

    kind = "sqlite"

    def __init__(self, workdir):
        self.path = Path(workdir) / f"bench_{os.urandom(4).hex()}.sqlite3"
        self.url = f"sqlite:///{self.path}"
        self.copies = itertools.count(1)

    def copy(self):
        target = self.path.with_name(f"{self.path.stem}_{next(self.copies)}.sqlite3")
        with (
            contextlib.closing(sqlite3.connect(self.path)) as source,
            contextlib.closing(sqlite3.connect(target)) as copy,
        ):
            source.backup(copy)
        return f"sqlite:///{target}"

    def drop(self):
        """Nothing to do: the files go with the temporary directory."""


class PostgresqlTemplate:
    """A database bench_<random> on the server of `server_url`, and copies bench_<random>_<n>."""

    kind = "postgresql"

    def __init__(self, server_url):
        self.server_url = server_url
        self.name = f"bench_{os.urandom(4).hex()}"
        self.url = self.url_of(self.name)
        self.made = []
        self.copies = itertools.count(1)
        self.create(self.name)

    def url_of(self, name):
        return urllib.parse.urlsplit(self.server_url)._replace(path=f"/{name}").geturl()

    def execute(self, statement):
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=10) as connection:
            connection.execute(statement)

    def create(self, name, template=None):
        self.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
        self.made.append(name)

    def copy(self):
        name = f"{self.name}_{next(self.copies)}"
        self.create(name, template=self.name)
        return self.url_of(name)

    def drop(self):
        for name in reversed(self.made):
            self.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextlib.contextmanager
def template(kind, workdir, postgresql=POSTGRESQL):
    """A migrated database of `kind` ("sqlite" or "postgresql"), dropped with its copies after."""
    database = SqliteTemplate(workdir) if kind == "sqlite" else PostgresqlTemplate(postgresql)
    try:
        manage(database.url, "migrate", "--noinput")
        yield database
    finally:
        database.drop()
