"""Logging parts: trace ids on every record, one scrubbing policy, SDK noise held to one line a
minute, and the one log format. (CloudWatch's handler lives with its provider.)"""

import logging

from observability.correlation import log_ids
from observability.problems import INTERVAL_SECONDS, RateLimiter, problems
from observability.scrubbing import scrub_text

TRACE_IDS = "trace_id=%(trace_id)s xray_trace_id=%(xray_trace_id)s span_id=%(span_id)s "


def log_format(traced, release=None):
    """The one log format: with trace ids while telemetry is on (console and CloudWatch), plain
    while it is off; with `release=` when a release is named (written into the format once, so it
    costs a record nothing)."""
    fields = "%(asctime)s %(levelname)s %(name)s "
    if release:
        fields += "release=" + "_".join(str(release).split()).replace("%", "%%") + " "
    return fields + (TRACE_IDS if traced else "") + "%(message)s"


# Loggers of the SDKs that ship telemetry: never fed back into CloudWatch, and rate-limited.
SDK_LOGGERS = (
    "botocore", "boto3", "urllib3", "s3transfer", "watchtower", "opentelemetry",
    "aws_xray_sdk", "rollbar", "py.warnings", "observability.problems",
)  # fmt: skip


class FailOpenFilter(logging.Filter):
    """A filter that can never fail the code that logs: the standard library lets an exception
    in a handler's filter reach the caller of `logger.info`, which would turn one malformed log
    call anywhere into a 500. What goes wrong is reported (rate-limited) and the record passes."""

    def filter(self, record):
        try:
            return self.apply(record)
        except Exception:
            name = type(self).__name__
            problems.warn(("logging", name), "observability: %s failed", name, exc_info=True)
            return True

    def apply(self, record):
        return True


def message_of(record):
    """The record's message; for a call whose arguments do not fit its format (`"%s %s", 1`), the
    format and the arguments side by side, and the record made formattable."""
    try:
        return record.getMessage()
    except Exception:
        record.msg = f"{record.msg} (arguments that do not fit: {record.args!r})"
        record.args = None
        return record.msg


class TraceContextFilter(FailOpenFilter):
    """Puts trace_id, xray_trace_id and span_id on every record ("-" outside a request)."""

    def filter(self, record):
        if hasattr(record, "trace_id"):  # once per record, however many handlers
            return True
        record.trace_id = record.xray_trace_id = record.span_id = "-"  # if the ids cannot be had
        return super().filter(record)

    def apply(self, record):
        record.trace_id, record.xray_trace_id, record.span_id = log_ids()
        return True


# Formats tracebacks for ScrubFilter exactly as logging.Formatter does for any handler.
TRACEBACKS = logging.Formatter()


class ScrubFilter(FailOpenFilter):
    """Redacts secrets from the formatted message (query strings, JSON, the process's secrets),
    and from the traceback and stack a record carries: an exception's text may quote what a
    client sent."""

    def apply(self, record):
        if getattr(record, "scrubbed", False):  # once per record, however many handlers
            return True
        record.scrubbed = True
        message = message_of(record)
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # Formatted as every formatter would (they keep and reuse exc_text), then scrubbed.
            record.exc_text = TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub_text(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub_text(record.stack_info)
        return True


class SdkNoiseFilter(FailOpenFilter):
    """Lets through at most one record a minute from each telemetry SDK (by its top-level
    package), so a backend that is down never floods the log."""

    def __init__(self, interval=INTERVAL_SECONDS):
        super().__init__()
        self.limiter = RateLimiter(interval)

    def apply(self, record):
        if not record.name.startswith(SDK_LOGGERS) or record.name == "observability.problems":
            return True
        allowed, _ = self.limiter.allow(record.name.split(".", 1)[0])
        if not allowed:
            return False
        if record.exc_info:
            # One line, not a traceback: what failed is all the operator needs here.
            error = record.exc_info[1]
            record.msg = f"{message_of(record)} ({type(error).__name__}: {error})"[:500]
            record.args, record.exc_info, record.exc_text = None, None, None
        return True


class SdkLogFilter(logging.Filter):
    """Keeps the SDKs' own records out of CloudWatch (they would log about shipping logs)."""

    def filter(self, record):
        return not record.name.startswith(SDK_LOGGERS)
