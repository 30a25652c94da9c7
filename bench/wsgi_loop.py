"""Calls the app in-process, for bench/instructions.py to count under callgrind: settings from
the environment, `--warm-up` rounds of every endpoint of bench/endpoints.py, then `--requests`
requests of the one `--endpoint`, then every telemetry buffer flushed, so what the requests caused
is sent before the process ends. Any answer but 200 ends the run with an error. The warm-up does
not depend on `--endpoint`, so one run with no measured request is the baseline of them all.
At the end it prints, per endpoint, how many requests it made (all answered 200) and the length
of its latest answer, and with
`--timings` the median and 99th percentile of the measured requests' wall-clock times.

No sending runs on a timer here: under valgrind the clock runs about fifty times slower per
request, so timer-driven batches would be fifty times smaller and their fixed cost fifty times
larger per request than in service. Batches leave when full (OpenTelemetry's 512 spans), and the
rest at the flush after the warm-up and at the end. The same holds for the request metrics'
exports (once a minute in service, over thousands of requests): they run at those flushes only,
where a timer would have fired once or twice in a run, by the wall clock, and charged a whole
export to a couple of hundred requests.
"""

import argparse
import collections
import io
import os
import statistics
import sys
import time
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cruddur.settings")
os.environ["OTEL_BSP_SCHEDULE_DELAY"] = str(3_600_000)
os.environ["OBSERVABILITY_METRICS_INTERVAL"] = "3600"

from bench.endpoints import ENDPOINTS  # noqa: E402

SENDERS = []
FLUSHERS = []  # the request metrics' PeriodicFlush, one per provider that takes them
ANSWERED = collections.Counter()
ANSWER_BYTES = {}  # the length of each endpoint's latest answer


def senders_without_timer():
    """Every BackgroundSender (X-Ray, Rollbar, CloudWatch Logs) waits an hour between drains,
    and is remembered for the flush at the end, as is every PeriodicFlush (whose interval is
    the hour set above)."""
    from observability.background import BackgroundSender
    from observability.metrics import PeriodicFlush

    original = BackgroundSender.__init__

    def init(self, *args, **kwargs):
        original(self, *args, **kwargs)
        self.interval = 3600
        SENDERS.append(self)

    BackgroundSender.__init__ = init
    original_flusher = PeriodicFlush.__init__

    def init_flusher(self, *args, **kwargs):
        original_flusher(self, *args, **kwargs)
        FLUSHERS.append(self)

    PeriodicFlush.__init__ = init_flusher


def request(application, name):
    """One request to the endpoint `name`, as gunicorn would pass it; exits unless it is a 200."""
    endpoint = ENDPOINTS[name]
    path, _, query = endpoint.path.partition("?")
    body = endpoint.encoded_body()
    environ = {
        "REQUEST_METHOD": endpoint.method, "PATH_INFO": path, "QUERY_STRING": query,
        "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1:8000",
        "REMOTE_ADDR": "127.0.0.1", "SERVER_PROTOCOL": "HTTP/1.1",
        "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr, "wsgi.url_scheme": "http",
        "wsgi.version": (1, 0), "wsgi.multithread": False, "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }  # fmt: skip
    if endpoint.body is not None:
        environ.update(CONTENT_TYPE="application/json", CONTENT_LENGTH=str(len(body)))
    statuses = []
    answer = application(environ, lambda status, headers, exc_info=None: statuses.append(status))
    try:
        content = b"".join(answer)
    finally:
        answer.close()
    if not statuses[0].startswith("200"):
        raise SystemExit(f"{endpoint} answered {statuses[0]}: {content[:500]!r}")
    ANSWERED[name] += 1
    ANSWER_BYTES[name] = len(content)


def flush():
    import threading

    from opentelemetry import trace

    for thread in threading.enumerate():
        if thread.name == "cloudwatch-log-group":  # started once, with the handler
            thread.join(timeout=60)

    for flusher in FLUSHERS:  # before the senders: EMF lines go out through CloudWatch's
        flusher.flush()
    provider = trace.get_tracer_provider()
    if hasattr(provider, "force_flush"):
        provider.force_flush()
    for sender in SENDERS:
        sender.flush(timeout=120)
        if sender.pending() or sender.dropped:
            raise SystemExit(f"{sender.name}: not all sent ({sender.dropped} dropped)")


def timed(application, name, count):
    """`count` requests; their wall-clock times in milliseconds."""
    times = []
    for _ in range(count):
        started = time.perf_counter()
        request(application, name)
        times.append((time.perf_counter() - started) * 1000)
    return times


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--endpoint", choices=ENDPOINTS, default="home", help="the one measured")
    parser.add_argument("--warm-up", type=int, default=3, help="rounds of every endpoint")
    parser.add_argument("--requests", type=int, default=200, help="requests to --endpoint")
    parser.add_argument("--timings", action="store_true", help="print p50 and p99 in ms")
    args = parser.parse_args()
    senders_without_timer()
    from cruddur.wsgi import application

    for _ in range(args.warm_up):
        for name in ENDPOINTS:
            request(application, name)
    flush()
    if args.timings:
        times = timed(application, args.endpoint, args.requests)
    else:
        for _ in range(args.requests):
            request(application, args.endpoint)
    flush()
    for name, count in ANSWERED.items():
        print(f"200 x {count} {ENDPOINTS[name]} ({ANSWER_BYTES[name]} bytes)")
    if args.timings and times:
        p99 = (
            statistics.quantiles(times, n=100, method="inclusive")[98]
            if len(times) > 1
            else times[0]
        )
        print(f"p50 {statistics.median(times):.3f} ms, p99 {p99:.3f} ms")
    sys.stdout.flush()
    os._exit(0)  # no interpreter teardown: its cost is not the requests'


if __name__ == "__main__":
    main()
