"""The app's settings with a URL that fails on purpose (observability/tests/failing_urls.py)."""

from cruddur.settings import *  # noqa: F403

ROOT_URLCONF = "observability.tests.failing_urls"
