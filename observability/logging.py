"""Logging parts: trace ids on every record, one scrubbing policy, SDK noise held to one line a
minute, and watchtower's CloudWatch handler built from the observability settings."""

import logging
import os
import threading
import time

import watchtower

from observability.conf import conf
from observability.correlation import log_ids
from observability.problems import problems
from observability.scrubbing import scrub_text

FORMAT = (
    "%(asctime)s %(levelname)s %(name)s "
    "trace_id=%(trace_id)s xray_trace_id=%(xray_trace_id)s span_id=%(span_id)s %(message)s"
)
# Loggers of the SDKs that ship telemetry: never fed back into CloudWatch, and rate-limited.
SDK_LOGGERS = (
    "botocore", "boto3", "urllib3", "s3transfer", "watchtower", "opentelemetry",
    "aws_xray_sdk", "rollbar", "py.warnings", "observability.problems",
)  # fmt: skip
MAX_QUEUED_LOG_EVENTS = 10_000


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
        if not hasattr(record, "trace_id"):  # "-" stands when the ids cannot be had
            record.trace_id = record.xray_trace_id = record.span_id = "-"
        return super().filter(record)

    def apply(self, record):
        if record.trace_id == "-":  # once per record, however many handlers
            record.trace_id, record.xray_trace_id, record.span_id = log_ids()
        return True


class ScrubFilter(FailOpenFilter):
    """Redacts secrets from the formatted message (query strings, JSON, the process's secrets)."""

    def apply(self, record):
        if getattr(record, "scrubbed", False):  # once per record, however many handlers
            return True
        record.scrubbed = True
        message = message_of(record)
        scrubbed = scrub_text(message)
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        return True


class SdkNoiseFilter(FailOpenFilter):
    """Lets through at most one record a minute from each telemetry SDK (by its top-level
    package), so a backend that is down never floods the log."""

    def __init__(self, interval=60.0):
        super().__init__()
        self.interval = interval
        self.last = {}

    def apply(self, record):
        if not record.name.startswith(SDK_LOGGERS) or record.name == "observability.problems":
            return True
        key = record.name.split(".", 1)[0]
        now = time.monotonic()
        if now - self.last.get(key, -self.interval) < self.interval:
            return False
        self.last[key] = now
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


class CloudWatchLogHandler(watchtower.CloudWatchLogHandler):
    """watchtower's handler (its formatting, streams, sequence tokens and retries), with its
    per-stream queue and thread, woken for every record, replaced by observability's background
    sender: bounded (it counts what it drops), woken every send_interval seconds, and given a short
    wait for delivery at shutdown."""

    FLUSH_TIMEOUT = 1

    def __init__(self, *args, max_queued=MAX_QUEUED_LOG_EVENTS, **kwargs):
        from observability.background import BackgroundSender

        super().__init__(*args, **kwargs)
        self.sender = BackgroundSender(
            "CloudWatch Logs", self.send_batch, max_queued, self.send_interval, batched=True
        )

    @property
    def dropped(self):
        return self.sender.dropped

    def _get_stream_name(self, message):
        """The stream's name, worked out once per process when it names no per-record field
        (watchtower formats it, and looks the host name up, for every record)."""
        key = (os.getpid(), threading.get_ident() if "{thread_name}" in self.log_stream_name else 0)
        cached = getattr(self, "_stream_names", {})
        if "{logger_name}" in self.log_stream_name or "{strftime" in self.log_stream_name:
            return super()._get_stream_name(message)
        if key not in cached:
            cached[key] = super()._get_stream_name(message)
            self._stream_names = cached
        return cached[key]

    def emit(self, message):
        if self.creating_log_stream or self.shutting_down:
            return
        try:
            if message_of(message) == "":
                return
            stream_name = self._get_stream_name(message)
            event = {"timestamp": int(message.created * 1000), "message": self.format(message)}
            max_body = self.max_message_size - self.EXTRA_MSG_PAYLOAD_SIZE
            if self._size(event) > max_body:
                event = self._truncate(event, max_body)
            self.sender.put((stream_name, event))
        except Exception:
            self.handleError(message)

    def send_batch(self, items):
        """Sends buffered events: per stream, in batches within CloudWatch's count and size."""
        streams = {}
        for stream_name, event in items:
            streams.setdefault(stream_name, []).append(event)
        for stream_name, events in streams.items():
            self.sequence_tokens.setdefault(stream_name, None)
            batch, size = [], 0
            for event in events:
                event_size = self._size(event)
                if batch and (
                    len(batch) >= self.max_batch_count or size + event_size > self.max_batch_size
                ):
                    self._submit_batch(batch, stream_name)
                    batch, size = [], 0
                batch.append(event)
                size += event_size
            self._submit_batch(batch, stream_name)

    def flush(self):
        self.sender.flush(self.FLUSH_TIMEOUT)

    def close(self):
        if not self.shutting_down:
            self.flush()
            self.shutting_down = True
        logging.Handler.close(self)

    def ensure_log_group_in_background(self):
        """Create the log group if missing, off the start-up path: a slow or unreachable
        CloudWatch never delays the process."""

        def ensure():
            try:
                self._ensure_log_group()
            except Exception as error:
                from observability.problems import problems

                problems.warn(
                    ("cloudwatch", "log-group"),
                    "observability: CloudWatch log group %s not ensured: %r",
                    self.log_group_name, error,
                )  # fmt: skip

        threading.Thread(target=ensure, name="cloudwatch-log-group", daemon=True).start()


def cloudwatch_handler():
    """LOGGING handler factory: watchtower's handler as settings say, or a NullHandler (and one
    warning) when CloudWatch Logs is on but cannot work here."""
    from observability.providers import registry
    from observability.providers.cloudwatch import aws_client

    provider = registry["cloudwatch"]
    if not provider.setup():
        return logging.NullHandler()
    options = provider.options
    try:
        handler = CloudWatchLogHandler(
            log_group_name=options["log_group"],
            log_stream_name=options["log_stream"].replace("{service}", conf.service_name),
            boto3_client=aws_client("logs", provider.region()),
            send_interval=provider.send_interval(),
            create_log_group=False,
        )
        handler.ensure_log_group_in_background()
    except Exception as error:
        provider.stand_aside(f"watchtower could not start: {error!r}")
        return logging.NullHandler()
    handler.setFormatter(watchtower.CloudWatchLogFormatter(FORMAT))
    for log_filter in (SdkLogFilter(), TraceContextFilter(), ScrubFilter()):
        handler.addFilter(log_filter)
    return handler
