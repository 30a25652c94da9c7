"""What every provider is: a small class with hooks that do nothing unless overridden."""

import contextlib
import logging
import os
import textwrap

from django.core.checks import WARNING

from observability.conf import SECRET_OPTIONS, conf
from observability.problems import problems


def mask(value):
    """A secret shown in status output: its length and last two characters at most."""
    if not value:
        return value
    text = str(value)
    return "****" + (text[-2:] if len(text) > 8 else "")


def shortened(text, width=200):
    """`text` on one line, cut at a word boundary (never mid-word) to at most `width` characters."""
    return textwrap.shorten(" ".join(str(text).split()), width, placeholder=" ...")


class CapturedRecords(logging.Handler):
    """Collects what an SDK logs for a moment: the SDKs report a failed send by logging it."""

    def __init__(self):
        super().__init__(logging.WARNING)
        self.records = []
        self.errors = []

    def emit(self, record):
        # Read now: later handlers (SdkNoiseFilter) may rewrite the record.
        self.records.append(record.getMessage())
        self.errors += [arg for arg in _args(record) if _is_error(arg)]

    def reason(self):
        """Why the send failed: the innermost exception an SDK logged (a refused connection
        rather than the retry loop that met it), else its last message; None if it logged none."""
        if self.errors:
            error = innermost(self.errors[0])
            return shortened(f"{type(error).__name__}: {error}")
        return shortened(self.records[-1]) if self.records else None


@contextlib.contextmanager
def captured(logger_name):
    """Captures the records of `logger_name` (and its children) while the block runs."""
    handler = CapturedRecords()
    logger = logging.getLogger(logger_name)
    logger.addHandler(handler)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _args(record):
    args = record.args if isinstance(record.args, tuple) else (record.args,)
    return [*args, record.exc_info[1] if record.exc_info else None]


def _is_error(value):
    return isinstance(value, BaseException)


def innermost(error):
    """The exception at the bottom of a chain: causes, and errors that wrap an error as their
    first argument or `reason` (requests and urllib3 do)."""
    seen = set()
    while id(error) not in seen:
        seen.add(id(error))
        inner = error.__cause__ or getattr(error, "reason", None)
        if not _is_error(inner):
            inner = error.args[0] if error.args and _is_error(error.args[0]) else None
        if inner is None:
            return error
        error = inner
    return error


class Provider:
    """One telemetry backend. `identifier` is its key in OBSERVABILITY and its name in
    OBSERVABILITY_PROVIDERS. Set up once per process; when on but unable to work, it says so once
    and stands aside: no middleware, no handlers, no traffic."""

    identifier = ""
    title = ""
    # True for a provider that exports request metrics (observability.metrics) when it is on.
    takes_metrics = False

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

    @classmethod
    def prepare(cls, enabled):
        """Called once at start-up for every provider, on or off, before anything else: for an
        SDK that the app imports either way and that reads the environment when it does."""

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

    def outer_middleware(self):
        """Middleware factories that must run outside the request's trace correlation, because
        they start the trace it reads (OpenTelemetry's), outermost first."""
        return []

    def middleware(self):
        """Middleware factories this provider contributes to ObservabilityMiddleware, outermost
        first."""
        return []

    def request_metrics(self):
        """The recorder of this provider's request metrics, `record(route, status_class,
        seconds)`, called once per request; None for none."""
        return None

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
