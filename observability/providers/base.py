"""What every provider is: a small class with hooks that do nothing unless overridden."""

import os

from django.core.checks import WARNING

from observability.conf import SECRET_OPTIONS, conf
from observability.problems import problems


def mask(value):
    """A secret shown in status output: its length and last two characters at most."""
    if not value:
        return value
    text = str(value)
    return "****" + (text[-2:] if len(text) > 8 else "")


class Provider:
    """One telemetry backend. `identifier` is its key in OBSERVABILITY and its name in
    OBSERVABILITY_PROVIDERS. Set up once per process; when on but unable to work, it says so once
    and stands aside: no middleware, no handlers, no traffic."""

    identifier = ""
    title = ""

    def __init__(self):
        self._setup_pid = None
        self.problem = None

    @property
    def options(self):
        return conf[self.identifier]

    @property
    def enabled(self):
        return conf.enabled(self.identifier)

    @property
    def active(self):
        """On, set up in this process, and not standing aside."""
        return self.enabled and self._setup_pid == os.getpid() and self.problem is None

    def setup(self):
        """Start the provider in this process, once; idempotent, and never raises."""
        if not self.enabled or self._setup_pid == os.getpid():
            return self.active
        self._setup_pid = os.getpid()
        self.problem = None
        blocking = [message for message in self.checks() if message.level >= WARNING]
        if blocking:
            self.stand_aside("; ".join(f"{m.msg} [{m.id}] {m.hint or ''}" for m in blocking))
            return False
        try:
            self.start()
        except Exception as error:
            self.stand_aside(f"could not start: {error!r}")
        return self.active

    def stand_aside(self, reason):
        self.problem = reason
        problems.warn(
            (self.identifier, "stand-aside"),
            "observability: %s is on but cannot work, so it is off for this process: %s",
            self.title, reason,
        )  # fmt: skip

    def start(self):
        """Provider-specific set-up (exporters, SDK configuration)."""

    def middleware(self):
        """Middleware factories this provider contributes to ObservabilityMiddleware, outermost
        first."""
        return []

    def checks(self):
        """Django check messages for misconfiguration; any of WARNING or above stops it."""
        return []

    def settings_for_status(self):
        """The options as `manage.py observability` prints them, secrets masked."""
        return {
            key: mask(value) if key in SECRET_OPTIONS else value
            for key, value in self.options.items()
        }

    def send_test(self, trace_id=None):
        """Send one test event; answers (arrived, detail)."""
        return False, "this provider has no test event"
