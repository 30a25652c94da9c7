"""watchtower's CloudWatch Logs handler, as LOGGING builds it when CloudWatch Logs is on.

It subclasses watchtower.CloudWatchLogHandler and relies on these of its members, which
test_cloudwatch.py pins so that an upgrade that changes them fails a test, not production:
`send_interval`, `log_stream_name`, `sequence_tokens`, `creating_log_stream`, `shutting_down`,
`max_message_size`, `max_batch_count`, `max_batch_size`, `EXTRA_MSG_PAYLOAD_SIZE`, and the methods
`_get_stream_name`, `_size`, `_truncate`, `_submit_batch`, `_ensure_log_group`."""

import json
import logging
import operator
import os
import re
import threading
import time

import orjson
import watchtower

from observability.background import BackgroundSender
from observability.conf import conf
from observability.correlation import log_ids
from observability.logging import (
    ScrubFilter,
    SdkLogFilter,
    SdkNoiseFilter,
    TraceContextFilter,
    log_format,
)
from observability.problems import problems
from observability.scrubbing import scrub_text

MAX_QUEUED_LOG_EVENTS = 10_000


# A log format's parts: its %(name)s fields, its escaped percent signs, and the text between.
FORMAT_FIELD = re.compile(r"%\((\w+)\)s|%%")
PLAIN_FORMAT = re.compile(r"(?:[^%]|%%|%\(\w+\)s)*")
# The filters the handler has as LOGGING and cloudwatch_handler give them (put_line's premise).
STANDARD_FILTERS = frozenset({SdkNoiseFilter, SdkLogFilter, TraceContextFilter, ScrubFilter})


class Line:
    """What the line formatter reads of an INFO record, for a line put without a record
    (CloudWatchLogHandler.put_line): its logger's name, its message, its time and trace ids."""

    __slots__ = ("asctime", "created", "message", "msecs", "name", "span_id", "trace_id")
    __slots__ += ("xray_trace_id",)
    FIELDS = frozenset({"levelname", *__slots__})
    levelname = logging.getLevelName(logging.INFO)

    def __init__(self, name, message, created):
        self.name = name
        self.message = message
        self.created = created
        self.msecs = int((created - int(created)) * 1000) + 0.0  # as LogRecord's
        self.trace_id, self.xray_trace_id, self.span_id = log_ids()


class LineFormatter(watchtower.CloudWatchLogFormatter):
    """watchtower's formatter, made cheaper for the lines of the one log format (a text message,
    fields all %(name)s): the fields are filled in by position, not looked up by name, and the
    time's text is made once a second rather than for every line (localtime and strftime cost
    more than the rest of a line). Structured messages, and formats with anything else, are
    formatted as watchtower formats them."""

    def __init__(self, fmt=None, *args, **kwargs):
        super().__init__(fmt, *args, **kwargs)
        self.second = (None, "")
        self.template = None
        self.takes_lines = False  # whether format_line can write a Line's (all its fields are)
        plain = type(self._style) is logging.PercentStyle and not self._style._defaults
        if plain and PLAIN_FORMAT.fullmatch(self._fmt):
            names = [name for name in FORMAT_FIELD.findall(self._fmt) if name]
            self.takes_lines = not self.add_log_record_attrs and Line.FIELDS.issuperset(names)
            self.template = FORMAT_FIELD.sub(lambda m: "%s" if m.group(1) else "%%", self._fmt)
            self.uses_time = "asctime" in names
            getter = operator.attrgetter(*names) if names else lambda record: ()
            self.fields = getter if len(names) != 1 else lambda record: (getter(record),)

    def format(self, record):
        if self.template is None or self.add_log_record_attrs or not isinstance(record.msg, str):
            return super().format(record)
        # As logging.Formatter.format does.
        record.message = record.getMessage()
        line = self.format_line(record)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line = (line if line.endswith("\n") else line + "\n") + record.exc_text
        if record.stack_info:
            line = line if line.endswith("\n") else line + "\n"
            line += self.formatStack(record.stack_info)
        return line

    def format_line(self, record):
        """The line of a record (or Line) whose message is set, but for exception and stack."""
        if self.uses_time:
            record.asctime = self.formatTime(record, self.datefmt)
        return self.template % self.fields(record)

    def formatTime(self, record, datefmt=None):
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        second, text = self.second
        if int(record.created) != second:
            second = int(record.created)
            text = time.strftime(self.default_time_format, self.converter(second))
            self.second = (second, text)
        return self.default_msec_format % (text, record.msecs)


class CloudWatchLogHandler(watchtower.CloudWatchLogHandler):
    """watchtower's handler (its formatting, streams, sequence tokens and retries), with its
    per-stream queue and thread, woken for every record, replaced by observability's background
    sender: bounded (it counts what it drops), woken every send_interval seconds, and given a short
    wait for delivery at shutdown."""

    FLUSH_TIMEOUT = 1

    def __init__(self, *args, max_queued=MAX_QUEUED_LOG_EVENTS, **kwargs):
        super().__init__(*args, **kwargs)
        # SdkLogFilter keeps every botocore and urllib3 record out, not only their DEBUG ones.
        self.removeFilter(watchtower._boto_debug_filter)
        self.sender = BackgroundSender(
            "CloudWatch Logs", self.send_batch, max_queued, self.send_interval, batched=True
        )
        self.stream_names = {}
        self.stream_per_record = any(
            field in self.log_stream_name for field in ("{logger_name}", "{strftime")
        )
        self.stream_per_thread = "{thread_name}" in self.log_stream_name

    @property
    def dropped(self):
        return self.sender.dropped

    def _get_stream_name(self, message):
        """The stream's name, worked out once per process (and thread, if it names the thread)
        when it names no per-record field (watchtower formats it, and looks the host name up,
        for every record)."""
        if self.stream_per_record:
            return super()._get_stream_name(message)
        key = (os.getpid(), threading.get_ident()) if self.stream_per_thread else os.getpid()
        name = self.stream_names.get(key)
        if name is None:
            name = self.stream_names[key] = super()._get_stream_name(message)
        return name

    def handle(self, record):
        """As logging.Handler.handle, without the handler's lock: emit only formats the record
        and appends it to the sender's buffer, which takes no lock to be safe."""
        passed = self.filter(record)
        if passed:
            self.emit(passed if isinstance(passed, logging.LogRecord) else record)
        return passed

    def emit(self, message):
        if self.creating_log_stream or self.shutting_down:
            return
        try:
            text = self.format(message)
            # Set by the formatting; CloudWatch takes no empty message.
            if getattr(message, "message", None) == "" or text == "":
                return
            self.queue(message, text, message.created)
        except Exception:
            self.handleError(message)

    def takes_lines(self):
        """Whether put_line stands for handle() of an INFO record with a text message of a logger
        that is no SDK's: its filters are the ones LOGGING and cloudwatch_handler give it, its
        format writes only what a Line holds, and its stream's name names no record's field."""
        formatter = self.formatter
        return (
            self.level <= logging.INFO
            and formatter.__class__ is LineFormatter
            and formatter.takes_lines
            and not self.stream_per_record
            and len(self.filters) == len(STANDARD_FILTERS)
            and {log_filter.__class__ for log_filter in self.filters} == STANDARD_FILTERS
        )

    def put_line(self, logger_name, message, created):
        """What handle() does with such a record (takes_lines), made at `created` with this
        `message`, without making the record: the message scrubbed, the trace ids added, the
        line formatted and queued."""
        if self.creating_log_stream or self.shutting_down:
            return
        try:
            line = Line(logger_name, scrub_text(message), created)
            text = self.formatter.format_line(line)
            if line.message == "" or text == "":
                return
            self.queue(line, text, created)
        except Exception:
            problems.warn(
                ("CloudWatch Logs", "line"), "observability: CloudWatch Logs: a line was lost",
                exc_info=True,
            )  # fmt: skip

    def queue(self, record, text, created):
        """Buffers the event of a formatted line (truncated to what CloudWatch takes)."""
        event = {"timestamp": int(created * 1000), "message": text}
        size = self.event_size(event)
        if size > self.max_message_size - self.EXTRA_MSG_PAYLOAD_SIZE:
            event = self._truncate(event, self.max_message_size - self.EXTRA_MSG_PAYLOAD_SIZE)
            size = self._size(event)
        self.sender.put((self._get_stream_name(record), event, size))

    def event_size(self, event):
        """watchtower's _size, without encoding an ASCII message to count its bytes."""
        message = event["message"]
        if message.isascii():
            return len(message) + self.EXTRA_MSG_PAYLOAD_SIZE
        return self._size(event)

    def put_document(self, record):
        """Queues an EMF document (emf.write_emf) as it is, with no log format around it. Unlike
        emit, not dropped while the sender creates the stream: emit drops records then, because
        they could be the SDK's own about creating it; a document is never one of those."""
        if self.shutting_down:
            return
        event = {"timestamp": int(record.created * 1000), "message": record.getMessage()}
        self.sender.put((self._get_stream_name(record), event, self.event_size(event)))

    def send_batch(self, items):
        """Sends buffered events: per stream, in batches within CloudWatch's count and size."""
        streams = {}
        for stream_name, event, event_size in items:
            streams.setdefault(stream_name, []).append((event, event_size))
        for stream_name, events in streams.items():
            self.sequence_tokens.setdefault(stream_name, None)
            batch, size = [], 0
            for event, event_size in events:
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


# The event that stands in for a batch's events in botocore's serializer (see logs_client), and
# what the serializer writes of it.
STAND_IN = {"timestamp": 0, "message": "-"}
STAND_IN_JSON = b'"logEvents": ' + json.dumps([STAND_IN]).encode()


def events_json(events):
    """The events' JSON as UTF-8: the value botocore's json.dumps writes, written by orjson in a
    fifth of the time (json.dumps escaped every character of a line in Python's C loop, a third
    of what the sender spent on an event); compact, and other than ASCII as UTF-8, both of which
    JSON and CloudWatch Logs take. A text orjson refuses (a lone surrogate) is written as
    botocore writes it."""
    try:
        return orjson.dumps(events)
    except orjson.JSONEncodeError:
        return json.dumps(events).encode()


def logs_client(client):
    """The logs client, for PutLogEvents: sending the header that marks its events as possibly
    EMF documents (the EMF specification asks for it; plain lines stay plain lines), and writing
    a batch's events into the body in one call (events_json), the JSON botocore's serializer
    would have written, rather than through that serializer, which takes each event apart field
    by field in Python (it cost more than the rest of the call). What botocore would validate,
    the handler ensures: it builds every event itself, and watchtower's batches keep within the
    service's limits (max_batch_count events, max_batch_size bytes, sorted by time)."""

    def add_header(request, **kwargs):
        request.headers["x-amzn-logs-format"] = "json/emf"

    def hold_events(params, context, **kwargs):
        events = params.get("logEvents")
        if type(events) is list and events:
            context["observability_log_events"] = events
            params["logEvents"] = [STAND_IN]

    def put_events(params, context, **kwargs):
        events = context.pop("observability_log_events", None)
        if events is None:
            return
        if STAND_IN_JSON not in params["body"]:  # never sends the stand-in for the events
            raise RuntimeError("PutLogEvents: botocore wrote the body in an unknown form")
        body = b'"logEvents": ' + events_json(events)
        params["body"] = params["body"].replace(STAND_IN_JSON, body, 1)

    events = client.meta.events
    events.register("before-sign.cloudwatch-logs.PutLogEvents", add_header)
    if client.meta.service_model.resolved_protocol == "json":
        events.register("before-parameter-build.cloudwatch-logs.PutLogEvents", hold_events)
        events.register("before-call.cloudwatch-logs.PutLogEvents", put_events)
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
            boto3_client=logs_client(aws_client("logs", provider.region())),
            send_interval=provider.send_interval(),
            create_log_group=False,
        )
        handler.ensure_log_group_in_background()
    except Exception as error:
        provider.stand_aside(f"watchtower could not start: {error!r}")
        return logging.NullHandler()
    handler.setFormatter(LineFormatter(log_format(True, conf.release)))
    for log_filter in (SdkLogFilter(), TraceContextFilter(), ScrubFilter()):
        handler.addFilter(log_filter)
    return handler
