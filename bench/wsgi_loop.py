"""Calls the app in-process for GET /api/activities/home, for bench/instructions.py to count
under callgrind: settings from the environment, `--warm-up` requests, then `--requests` more, then
every telemetry buffer flushed, so what the requests caused is sent before the process ends.

No sending runs on a timer here: under valgrind the clock runs about fifty times slower per
request, so timer-driven batches would be fifty times smaller and their fixed cost fifty times
larger per request than in service. Batches leave when full (OpenTelemetry's 512 spans), and the
rest at the one flush at the end.
"""

import argparse
import io
import os
import sys
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cruddur.settings")
os.environ["OTEL_BSP_SCHEDULE_DELAY"] = str(3_600_000)

PATH = "/api/activities/home"
SENDERS = []


def senders_without_timer():
    """Every BackgroundSender (X-Ray, Rollbar, CloudWatch Logs) waits an hour between drains,
    and is remembered for the flush at the end."""
    from observability.background import BackgroundSender

    original = BackgroundSender.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.interval = 3600
        SENDERS.append(self)

    BackgroundSender.__init__ = init


def request(application):
    environ = {
        "REQUEST_METHOD": "GET", "PATH_INFO": PATH, "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }  # fmt: skip
    statuses = []
    body = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        b"".join(body)
    finally:
        body.close()
    if not statuses[0].startswith("200"):
        raise SystemExit(f"{PATH} answered {statuses[0]}")


def flush():
    import threading

    from opentelemetry import trace

    for thread in threading.enumerate():
        if thread.name == "cloudwatch-log-group":  # started once, with the handler
            thread.join(timeout=60)

    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()
    for sender in SENDERS:
        sender.flush(timeout=120)
        if sender.pending() or sender.dropped:
            raise SystemExit(f"{sender.name}: not all sent ({sender.dropped} dropped)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--warm-up", type=int, default=30)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    senders_without_timer()
    from cruddur.wsgi import application

    for _ in range(args.warm_up):
        request(application)
    flush()
    for _ in range(args.requests):
        request(application)
    flush()
    sys.stdout.flush()
    os._exit(0)  # no interpreter teardown: its cost is not the requests'


if __name__ == "__main__":
    main()
