"""watchtower's CloudWatch Logs handler, as LOGGING builds it when CloudWatch Logs is on.

It subclasses watchtower.CloudWatchLogHandler and relies on these of its members, which
test_cloudwatch.py pins so that an upgrade that changes them fails a test, not production:
`send_interval`, `log_stream_name`, `sequence_tokens`, `creating_log_stream`, `shutting_down`,
`max_message_size`, `max_batch_count`, `max_batch_size`, `EXTRA_MSG_PAYLOAD_SIZE`, and the methods
`_get_stream_name`, `_size`, `_truncate`, `_submit_batch`, `_ensure_log_group`."""

import logging
import os
import threading

import watchtower

from observability.background import BackgroundSender
from observability.conf import conf
from observability.logging import (
    ScrubFilter,
    SdkLogFilter,
    TraceContextFilter,
    log_format,
    message_of,
)
from observability.problems import problems

MAX_QUEUED_LOG_EVENTS = 10_000


class CloudWatchLogHandler(watchtower.CloudWatchLogHandler):
    """watchtower's handler (its formatting, streams, sequence tokens and retries), with its
    per-stream queue and thread, woken for every record, replaced by observability's background
    sender: bounded (it counts what it drops), woken every send_interval seconds, and given a short
    wait for delivery at shutdown."""

    FLUSH_TIMEOUT = 1

    def __init__(self, *args, max_queued=MAX_QUEUED_LOG_EVENTS, **kwargs):
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

    def put_document(self, record):
        """Queues an EMF document (emf.write_emf) as it is, with no log format around it. Unlike
        emit, not dropped while the sender creates the stream: emit drops records then, because
        they could be the SDK's own about creating it; a document is never one of those."""
        if self.shutting_down:
            return
        event = {"timestamp": int(record.created * 1000), "message": record.getMessage()}
        self.sender.put((self._get_stream_name(record), event))

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
                problems.warn(
                    ("cloudwatch", "log-group"),
                    "observability: CloudWatch log group %s not ensured: %r",
                    self.log_group_name, error,
                )  # fmt: skip

        threading.Thread(target=ensure, name="cloudwatch-log-group", daemon=True).start()


def emf_client(client):
    """The logs client, sending the header that marks its events as possibly EMF documents
    (the EMF specification asks for it with PutLogEvents; plain lines stay plain lines)."""

    def add_header(request, **kwargs):
        request.headers["x-amzn-logs-format"] = "json/emf"

    client.meta.events.register("before-sign.cloudwatch-logs.PutLogEvents", add_header)
    return client


def cloudwatch_handler():
    """LOGGING handler factory: watchtower's handler as settings say, or a NullHandler (and one
    warning) when CloudWatch Logs is on but cannot work here."""
    from observability.aws import aws_client
    from observability.providers.registry import provider as registered

    provider = registered("cloudwatch")
    if not provider.setup():
        return logging.NullHandler()
    options = provider.options
    try:
        handler = CloudWatchLogHandler(
            log_group_name=options["log_group"],
            log_stream_name=options["log_stream"].replace("{service}", conf.service_name),
            boto3_client=emf_client(aws_client("logs", provider.region())),
            send_interval=provider.send_interval(),
            create_log_group=False,
        )
        handler.ensure_log_group_in_background()
    except Exception as error:
        provider.stand_aside(f"watchtower could not start: {error!r}")
        return logging.NullHandler()
    handler.setFormatter(watchtower.CloudWatchLogFormatter(log_format(True, conf.release)))
    for log_filter in (SdkLogFilter(), TraceContextFilter(), ScrubFilter()):
        handler.addFilter(log_filter)
    return handler
