"""Helpers for testing the settings as a new process sees them, from its environment alone."""

import json
import os
import subprocess
import sys

import pytest

from activities.tests.live_server import PROJECT_DIR

# Variables that change the settings; each test starts from none of them.
SETTINGS_VARIABLES = (
    "DJANGO_", "DATABASE_", "FRONTEND_URL", "BACKEND_URL", "GITPOD_", "CODESPACE",
    "GITHUB_CODESPACES", "CRUDDUR_",
)  # fmt: skip

PRINT_SETTINGS = """
import json, django
from django.conf import settings
django.setup()
print(json.dumps({name: getattr(settings, name) for name in %r}, default=str))
"""


def clean_environment(**variables):
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_VARIABLES)}
    env.update(DJANGO_SETTINGS_MODULE="cruddur.settings", **variables)
    return env


@pytest.fixture
def settings_under():
    """settings_under(NAMES, **env): the named settings of a fresh process with that environment."""

    def read(names, **variables):
        result = subprocess.run(
            [sys.executable, "-c", PRINT_SETTINGS % (list(names),)],
            cwd=PROJECT_DIR, env=clean_environment(**variables), check=True,
            capture_output=True, text=True,
        )  # fmt: skip
        return json.loads(result.stdout)

    return read


@pytest.fixture
def manage():
    """manage(*args, **env): run manage.py in a fresh process with that environment."""

    def run(*args, **variables):
        return subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=PROJECT_DIR, env=clean_environment(**variables), capture_output=True, text=True,
        )  # fmt: skip

    return run
