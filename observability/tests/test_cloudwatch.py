"""CloudWatch Logs through watchtower and boto3 to moto's server: the HomeActivities line, one line
per request, streams per process, and the SDKs' own logs kept out."""

import concurrent.futures
import re

import pytest
import requests

from observability.tests.receivers import wait_for

pytestmark = pytest.mark.server


def test_home_feed_logs_home_activities_and_a_request_line(moto, provider_env, serve):
    with serve(**provider_env("cloudwatch", DJANGO_LOG_LEVEL="DEBUG")) as url:
        requests.get(f"{url}/api/activities/home?page_size=3", timeout=10)
        messages = wait_for(
            lambda: (
                (found := moto.log_messages("cruddur"))
                and any("/api/activities/home" in m for m in found)
                and found
            )
        )
    [home] = [m for m in messages if m.endswith(" HomeActivities")]
    [line] = [m for m in messages if "/api/activities/home" in m]
    pattern = r"\[\d{4}-\w{3}-\d\d \d\d:\d\d\] 127\.0\.0\.1 GET http "
    pattern += r"/api/activities/home\?page_size=3 200"
    assert re.search(pattern + "$", line)
    # Both lines carry the request's trace id, in both forms.
    for message in (home, line):
        assert re.search(
            r"trace_id=[0-9a-f]{32} xray_trace_id=1-[0-9a-f]{8}-[0-9a-f]{24} ", message
        )
    # DEBUG logging is on, so botocore and urllib3 logged plenty: none of it was shipped.
    assert not [m for m in messages if "botocore" in m or "urllib3" in m or "Making request" in m]


def test_each_process_writes_its_own_stream(moto, provider_env, serve):
    with serve(**provider_env("cloudwatch")) as url:
        # Eight at a time, so that both sync workers serve some: one at a time, a fast worker
        # back at accept() first can take them all.
        home = f"{url}/api/activities/home"
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda _: requests.get(home, timeout=10), range(40)))
        client = moto.logs_client()

        def streams():
            return client.describe_log_streams(logGroupName="cruddur")["logStreams"]

        found = wait_for(lambda: len(streams()) >= 2 and streams())
    names = [stream["logStreamName"] for stream in found]
    assert all(re.fullmatch(r"backend-django/[^/]+/\d+", name) for name in names)
    assert len(set(names)) == len(names)


def test_log_group_comes_from_cloudwatch_log_group(moto, provider_env, serve):
    with serve(**provider_env("cloudwatch", CLOUDWATCH_LOG_GROUP="cruddur-staging")) as url:
        requests.get(f"{url}/api/activities/home", timeout=10)
        assert wait_for(
            lambda: any(m.endswith("HomeActivities") for m in moto.log_messages("cruddur-staging"))
        )


def test_events_are_buffered_and_sent_in_batches_within_cloudwatch_limits(moto):
    import logging

    from observability.providers.cloudwatch.handler import CloudWatchLogHandler

    client = moto.logs_client()
    calls = []  # accepted PutLogEvents calls (the first one meets no stream, creates it, retries)
    client.meta.events.register(
        "after-call.cloudwatch-logs.PutLogEvents",
        lambda http_response, **kwargs: calls.append(http_response.status_code == 200),
    )
    handler = CloudWatchLogHandler(
        log_group_name="batching", log_stream_name="stream", boto3_client=client,
        send_interval=60, max_batch_count=4, create_log_group=True,
    )  # fmt: skip
    logger = logging.getLogger("observability.tests.batching")
    logger.addHandler(handler)
    try:
        for i in range(10):
            logger.warning("event %d", i)
        # Nothing leaves per record: the sender wakes on its interval (60 s here) or a flush.
        assert moto.log_messages("batching") == []
        handler.flush()
    finally:
        logger.removeHandler(handler)
        handler.close()
    assert moto.log_messages("batching") == [f"event {i}" for i in range(10)]
    assert calls.count(True) == 3  # 4 + 4 + 2: max_batch_count respected


def test_events_go_in_the_body_botocore_would_have_written(moto):
    """logs_client writes PutLogEvents' events into the body itself, in place of botocore's
    serializer: the same JSON, whatever the messages hold, with botocore's parameter
    validation off (as aws_client makes it) or on."""
    import json
    import time

    import boto3
    from botocore.config import Config

    from observability.providers.cloudwatch.handler import events_json, logs_client

    def client(validation):
        return boto3.client(
            "logs", endpoint_url=moto.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
            config=Config(parameter_validation=validation),
        )  # fmt: skip

    messages = [
        'quote " backslash \\ newline \n tab \t control \x01 del \x7f',
        "accents é, a snowman \u2603 and a clef \U0001d11e",
        'a message that names the field: "logEvents": [{"timestamp": 0, "message": "-"}]',
        '{"_aws": {"Timestamp": 1}, "Requests": 1}',
    ]
    now = int(time.time() * 1000)
    events = [{"timestamp": now + i, "message": m} for i, m in enumerate(messages)]
    moto.logs_client().create_log_group(logGroupName="bodies")
    moto.logs_client().create_log_stream(logGroupName="bodies", logStreamName="stream")
    bodies, serialized = [], []
    for sender in (client(True), logs_client(client(False)), logs_client(client(True))):
        sender.meta.events.register(
            "before-parameter-build.cloudwatch-logs.PutLogEvents",
            lambda params, **kwargs: serialized.append(len(params["logEvents"])),
        )
        sender.meta.events.register(
            "before-send.cloudwatch-logs.PutLogEvents",
            lambda request, **kwargs: bodies.append(request.body),
        )
        sender.put_log_events(logGroupName="bodies", logStreamName="stream", logEvents=events)
    assert json.loads(bodies[1]) == json.loads(bodies[0])
    assert json.loads(bodies[2]) == json.loads(bodies[0])
    # botocore's serializer took the four events apart only without logs_client.
    assert serialized == [4, 1, 1]
    assert sorted(moto.log_messages("bodies")) == sorted(messages * 3)
    # A text orjson refuses is written as botocore writes it.
    lone = [{"timestamp": now, "message": "a lone surrogate \ud800"}]
    assert events_json(lone) == json.dumps(lone).encode()


@pytest.mark.parametrize(
    ("meta", "expected"),
    [
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"}, "203.0.113.9"),
        ({"REMOTE_ADDR": "::1", "HTTP_X_REAL_IP": "2001:db8::7"}, "2001:db8::7"),
        ({"REMOTE_ADDR": "127.0.0.1"}, "127.0.0.1"),
        # Not from the local proxy, or not an address: the peer, never the client's text.
        ({"REMOTE_ADDR": "198.51.100.4", "HTTP_X_REAL_IP": "203.0.113.9"}, "198.51.100.4"),
        ({"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "1.2.3.4 GET /forged"}, "127.0.0.1"),
    ],
)
def test_the_request_line_names_the_client_behind_the_local_proxy(meta, expected):
    from observability.providers.cloudwatch import client_address

    assert client_address(meta) == expected


def test_the_request_lines_record_is_the_one_logger_info_makes_but_for_its_caller():
    import logging
    import time

    from django.http import HttpResponse
    from django.test import RequestFactory

    from observability.providers.cloudwatch import RequestLogMiddleware, request_logger

    class Keep(logging.Handler):
        def __init__(self):
            super().__init__()
            self.records = []

        def emit(self, record):
            self.records.append(record)

    keep = Keep()
    request_logger.addHandler(keep)
    level = request_logger.level
    request_logger.setLevel(logging.INFO)
    made = []
    default_factory = logging.getLogRecordFactory()

    def factory(*args, **kwargs):
        made.append(args[4])  # the message
        return default_factory(*args, **kwargs)

    try:
        middleware = RequestLogMiddleware(lambda request: HttpResponse(status=201))
        middleware(RequestFactory().get("/api/x?page=2", REMOTE_ADDR="198.51.100.4"))
        request_logger.info("%s", "as the logger makes it")
        logging.setLogRecordFactory(factory)
        middleware(RequestFactory().post("/api/y"))
    finally:
        logging.setLogRecordFactory(default_factory)
        request_logger.removeHandler(keep)
        request_logger.setLevel(level)
    lean, usual, with_factory = keep.records
    minute = time.strftime("[%Y-%b-%d %H:%M]", time.gmtime(lean.created // 60 * 60))
    assert lean.getMessage() == f"{minute} 198.51.100.4 GET http /api/x?page=2 201"
    assert with_factory.getMessage().endswith(" 127.0.0.1 POST http /api/y 201")
    assert made == ["%s %s %s %s %s %s"]  # the application's factory made the last one
    caller = {"pathname", "filename", "module", "lineno", "funcName"}
    moments = {"created", "msecs", "relativeCreated", "asctime", "msg", "args", "message"}
    assert lean.__dict__.keys() == usual.__dict__.keys()
    for name in lean.__dict__.keys() - caller - moments:
        assert getattr(lean, name) == getattr(usual, name), name
    assert (lean.module, lean.funcName) == ("__init__", "__call__")


def test_a_request_line_put_without_a_record_is_the_line_its_record_makes(moto):
    """put_line, which the request log middleware calls where LOGGING gives CloudWatch's handler
    the request lines alone, queues what handling a record of that line queues: scrubbed, with
    the trace ids, formatted, truncated to what CloudWatch takes; and the middleware takes it
    only while the handler is set up as LOGGING and cloudwatch_handler set it up."""
    import logging
    import time

    from observability.correlation import TraceIds, current_trace
    from observability.logging import (
        ScrubFilter,
        SdkLogFilter,
        SdkNoiseFilter,
        TraceContextFilter,
        log_format,
    )
    from observability.providers.cloudwatch import lines_handler, request_logger
    from observability.providers.cloudwatch.handler import CloudWatchLogHandler, LineFormatter

    handler = CloudWatchLogHandler(
        log_group_name="lines", log_stream_name="stream", boto3_client=moto.logs_client(),
        create_log_group=False,
    )  # fmt: skip
    handler.setFormatter(LineFormatter(log_format(True, "v1.2")))
    for log_filter in (SdkNoiseFilter(), SdkLogFilter(), TraceContextFilter(), ScrubFilter()):
        handler.addFilter(log_filter)
    queued = []
    handler.sender.put = queued.append  # what the handler queues, not sent
    handlers, propagate = request_logger.handlers[:], request_logger.propagate
    request_logger.handlers[:], request_logger.propagate = [handler], False
    token = current_trace.set(TraceIds("5f7a1234" + "ab" * 12, "00f067aa0ba902b7", True))
    try:
        assert lines_handler() is handler
        messages = [
            "[2026-Dec-05 05:00] 127.0.0.1 GET http /api/x?token=abc123&page=2 200",
            "é \u2603 " + "x" * 300_000,  # over what CloudWatch takes: truncated
            "",  # CloudWatch takes no empty message: nothing queued
        ]
        for message in messages:
            created = time.time()
            handler.put_line(request_logger.name, message, created)
            record = logging.LogRecord(
                request_logger.name, logging.INFO, __file__, 1, "%s", (message,), None
            )
            record.created, record.msecs = created, int((created - int(created)) * 1000) + 0.0
            handler.handle(record)
        handler.addFilter(logging.Filter())  # a filter of the application's own
        assert lines_handler() is None
    finally:
        current_trace.reset(token)
        request_logger.handlers[:], request_logger.propagate = handlers, propagate
        handler.sender.put = None
        handler.shutting_down = True
        handler.close()
    assert len(queued) == 4
    assert queued[0] == queued[1]
    assert queued[2] == queued[3]
    event = queued[0][1]
    assert re.search(
        r" INFO observability\.requests release=v1\.2 trace_id=5f7a1234abab.* "
        r"span_id=00f067aa0ba902b7 \[2026-Dec-05 05:00\] 127\.0\.0\.1 GET http "
        r"/api/x\?token=\[REDACTED\]&page=2 200$",
        event["message"],
    )
    assert len(queued[2][1]["message"].encode()) < 300_000
