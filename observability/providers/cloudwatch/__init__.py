"""CloudWatch Logs: watchtower's handler in LOGGING (handler.py), one log line per request, as
the Flask original wrote them, and the request metrics as EMF lines (emf.py)."""

import ipaddress
import logging
import re
import time
import uuid

from django.core.checks import Warning

from observability.providers.base import Provider

request_logger = logging.getLogger("observability.requests")
LOG_GROUP_PATTERN = re.compile(r"^[\w\-./#]{1,512}$")


def client_address(meta):
    """The client's address: the peer's, or where the peer is the local proxy that serves the
    app (nginx, which sets X-Real-IP to the address it took the connection from), that one."""
    peer = meta.get("REMOTE_ADDR")
    real = meta.get("HTTP_X_REAL_IP")
    if not real or peer not in ("127.0.0.1", "::1"):
        return peer
    try:
        return str(ipaddress.ip_address(real))
    except ValueError:
        return peer


REQUEST_LINE = "%s %s %s %s %s %s"


class RequestLogMiddleware:
    """One line per request: time, remote address, method, scheme, full path and status.

    Where LOGGING gives the line to CloudWatch's handler alone, as it sets it up, the handler
    puts the line without a record (put_line: the record, its four filters and its formatting
    by name cost the request three times as much). Otherwise its record is made as
    request_logger.info makes one, but for the search of the caller's frame: the caller is
    always this __call__. Where a record factory of the application's own is set, the logger
    makes the record as usual."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.minute = (None, "")  # (minutes since the epoch, its text)

    def __call__(self, request):
        response = self.get_response(request)
        if not request_logger.isEnabledFor(logging.INFO):
            return response
        now = time.time()
        minute, text = self.minute
        if int(now // 60) != minute:
            minute = int(now // 60)
            text = time.strftime("[%Y-%b-%d %H:%M]", time.gmtime(minute * 60))
            self.minute = (minute, text)
        arguments = (
            text, client_address(request.META), request.method, request.scheme,
            request.get_full_path(), response.status_code,
        )  # fmt: skip
        if logging.getLogRecordFactory() is not logging.LogRecord:
            request_logger.info(REQUEST_LINE, *arguments)
            return response
        handler = lines_handler()
        if handler is not None:
            handler.put_line(request_logger.name, REQUEST_LINE % arguments, now)
            return response
        record = logging.LogRecord(
            request_logger.name, logging.INFO, __file__, CALLER_LINE, REQUEST_LINE, arguments,
            None, "__call__",
        )  # fmt: skip
        request_logger.handle(record)
        return response


CALLER_LINE = RequestLogMiddleware.__call__.__code__.co_firstlineno


def lines_handler():
    """CloudWatch's handler where it alone takes the request lines, as LOGGING and the handler's
    factory set them up (its put_line then stands for the logger's handling of a record), else
    None."""
    handlers = request_logger.handlers
    if len(handlers) != 1 or request_logger.filters or request_logger.propagate:
        return None
    takes_lines = getattr(handlers[0], "takes_lines", None)  # CloudWatchLogHandler's
    return handlers[0] if takes_lines is not None and takes_lines() else None


class CloudWatchProvider(Provider):
    """Ships the process's logs to a CloudWatch Logs group."""

    identifier = "cloudwatch"
    title = "CloudWatch Logs"
    takes_metrics = True

    def __init__(self):
        super().__init__()
        self.metrics_recorder = None

    def region(self):
        import boto3

        return self.options["region"] or boto3.session.Session().region_name

    def send_interval(self):
        """The seconds between log batches, or None when the setting is no positive number."""
        try:
            seconds = float(self.options["send_interval"])
        except (TypeError, ValueError):
            return None
        return seconds if 0 < seconds < float("inf") else None

    def middleware(self):
        return [RequestLogMiddleware]

    def request_metrics(self):
        """The EMF recorder, made on first use in each process (the handler exists by then)."""
        from observability.metrics import interval_seconds
        from observability.providers.cloudwatch.emf import EmfRequestMetrics

        handler = cloudwatch_log_handler()
        if handler is None:
            return None
        if self.metrics_recorder is None or self.metrics_recorder.handler is not handler:
            self.metrics_recorder = EmfRequestMetrics(handler, interval_seconds())
        return self.metrics_recorder

    def checks(self):
        import boto3

        messages = []
        if not self.region():
            messages.append(
                Warning(
                    "CloudWatch Logs is on but no AWS region is set.",
                    hint="Set AWS_DEFAULT_REGION (e.g. ca-central-1).",
                    id="observability.W030",
                )
            )
        if boto3.session.Session().get_credentials() is None:
            messages.append(
                Warning(
                    "CloudWatch Logs is on but no AWS credentials were found.",
                    hint="Set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, or give the task a role.",
                    id="observability.W031",
                )
            )
        if self.send_interval() is None:
            messages.append(
                Warning(
                    f"CLOUDWATCH_SEND_INTERVAL {self.options['send_interval']!r} is not a "
                    "positive number of seconds.",
                    hint="Set it to the seconds between log batches, e.g. 5 (the default).",
                    id="observability.W033",
                )
            )
        if not LOG_GROUP_PATTERN.match(self.options["log_group"] or ""):
            messages.append(
                Warning(
                    f"CLOUDWATCH_LOG_GROUP {self.options['log_group']!r} is not a valid name.",
                    hint="Use letters, digits and _-./# only, e.g. cruddur.",
                    id="observability.W032",
                )
            )
        return messages

    def send_test(self, trace_id=None):
        """Log one line, flush, and read it back from CloudWatch Logs."""
        from observability.aws import aws_client
        from observability.metrics import metrics_wanted

        handler = cloudwatch_log_handler()
        if handler is None:
            return False, "no CloudWatch handler in this process's LOGGING"
        token = f"observability send-test {uuid.uuid4()}"
        logging.getLogger("observability.send_test").warning(token)
        metric = metrics_wanted()
        if metric:
            write_test_metric(handler, token)
        handler.flush()
        client = aws_client("logs", self.region())
        events = client.filter_log_events(
            logGroupName=self.options["log_group"], filterPattern=f'"{token}"'
        )["events"]
        lines = [event["message"] for event in events if token in event["message"]]
        arrived = len(lines) == 1 + metric
        sent = "a log line and an EMF metric line" if metric else "a log line"
        where = "read back from" if arrived else "not found in"
        return arrived, f"{sent} {where} log group {self.options['log_group']}"


def cloudwatch_log_handler():
    """The CloudWatch handler LOGGING put on the root logger, or None."""
    from observability.providers.cloudwatch.handler import CloudWatchLogHandler

    handlers = [h for h in logging.getLogger().handlers if isinstance(h, CloudWatchLogHandler)]
    return handlers[0] if handlers else None


def write_test_metric(handler, token):
    """One EMF line: the metric SendTest, 1, by Service, with the send-test's token."""
    from observability.conf import conf
    from observability.providers.cloudwatch.emf import emf_document, write_emf

    properties = {"Service": conf.service_name, "SendTest": 1, "TestId": token}
    metrics = [{"Name": "SendTest", "Unit": "Count"}]
    write_emf(handler, emf_document(metrics, properties, int(time.time() * 1000), [["Service"]]))
