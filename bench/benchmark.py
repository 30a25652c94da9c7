"""Telemetry overhead, measured as ratios in one run.

Serves the app under gunicorn (one sync worker) on a seeded SQLite database and loads
GET /api/activities/home with wrk in four scenarios, interleaved and repeated:

  off         no provider on
  on          all four on, every receiver up (OpenTelemetry samples every request)
  refusing    all four on, every endpoint refusing connections
  black-holed all four on, every endpoint taking connections and never answering

It prints, per scenario, the median over rounds of req/s, p50, p99, CPU per request and the
worker's peak memory, and the ratios against "off" and against "on".
"""

import argparse
import contextlib
import logging
import multiprocessing
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cruddur.settings")

from activities.tests.live_server import free_port  # noqa: E402
from bench.databases import manage  # noqa: E402
from observability.tests.receivers import (  # noqa: E402
    BlackHole,
    MotoServer,
    OtlpReceiver,
    RollbarApi,
    XRayDaemon,
)

PATH = "/api/activities/home"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
# With two or more cores, the workers get one (only the one under load is busy); wrk and the
# receivers share another, so the load and the receiving do not take the measured worker's CPU.
WORKER_CPU, LOAD_CPU = 0, 1


def pinned(cpu):
    """A taskset prefix that runs a command on `cpu`, where there are cores and taskset."""
    if (os.cpu_count() or 1) < 2 or not shutil.which("taskset"):
        return []
    return ["taskset", "-c", str(cpu)]


def provider_environment(otlp, daemon, moto, rollbar):
    return {
        "OBSERVABILITY_PROVIDERS": "otel,xray,cloudwatch,rollbar",
        "OTEL_EXPORTER_OTLP_ENDPOINT": otlp,
        "HONEYCOMB_API_KEY": "bench-key-0123456789",
        "AWS_XRAY_DAEMON_ADDRESS": daemon,
        "AWS_XRAY_CENTRALIZED_SAMPLING": "false",
        "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS": moto,
        "AWS_ACCESS_KEY_ID": "bench",
        "AWS_SECRET_ACCESS_KEY": "bench-secret-0123456789",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EC2_METADATA_DISABLED": "true",
        "ROLLBAR_ACCESS_TOKEN": "bench-token-0123456789",
        "ROLLBAR_ENDPOINT": rollbar,
    }


def worker_pid(master_pid):
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    return int(children[0])


def cpu_seconds(pid):
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def peak_rss_mb(pid):
    match = re.search(r"VmHWM:\s+(\d+) kB", Path(f"/proc/{pid}/status").read_text())
    return int(match.group(1)) / 1024


def answers(url):
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@contextlib.contextmanager
def gunicorns(database_url, scenarios):
    """One gunicorn per scenario, started together; yields {name: (url, worker pid)}."""
    command = [
        *pinned(WORKER_CPU), sys.executable, "-m", "gunicorn", "cruddur.wsgi",
        "--workers", "1", "--worker-class", "sync", "--threads", "1", "--access-logfile", "-",
    ]  # fmt: skip
    processes = {}
    try:
        for name, env in scenarios.items():
            url = f"http://127.0.0.1:{free_port()}"
            processes[name] = url, subprocess.Popen(
                [*command, "--bind", url.removeprefix("http://")], cwd=PROJECT_DIR,
                env={**os.environ, "DATABASE_URL": database_url, **env},
                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
        deadline = time.monotonic() + 60
        for url, process in processes.values():
            while not answers(url + PATH):
                if time.monotonic() > deadline or process.poll() is not None:
                    raise RuntimeError("gunicorn did not start")
                time.sleep(0.2)
        yield {name: (url, worker_pid(process.pid)) for name, (url, process) in processes.items()}
    finally:
        for _, process in processes.values():
            process.send_signal(signal.SIGTERM)
        for _, process in processes.values():
            process.wait(timeout=30)


def wrk(url, seconds, connections):
    output = subprocess.run(
        [*pinned(LOAD_CPU), "wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency",
         url + PATH],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip

    def duration(label):
        value, unit = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", output, re.M).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non_200 = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "requests": int(re.search(r"(\d+) requests in", output).group(1)),
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1)),
        "p50": duration("50%"),
        "p99": duration("99%"),
        "bad": int(non_200.group(1)) if non_200 else 0,
        "socket_errors": sum(map(int, errors.groups())) if errors else 0,
    }


def measure(url, pid, seconds, connections):
    cpu_before = cpu_seconds(pid)
    result = wrk(url, seconds, connections)
    result["cpu_ms"] = (cpu_seconds(pid) - cpu_before) * 1000 / max(result["requests"], 1)
    result["peak_mb"] = peak_rss_mb(pid)
    return result


def migrate(database_url):
    manage(database_url, "migrate", "--noinput")


def serve_receivers(connection):
    """The backends' places, in a child process at the lowest CPU priority. They share a core
    with wrk, and their work (moto's above all) grows with the telemetry sent: at normal priority
    it delayed wrk, and with it the measured worker, which waits for the client at each closed
    connection, so "on" was charged for the receivers' CPU. In production they are remote."""
    os.nice(19)
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's access log
    with contextlib.ExitStack() as stack:
        otlp = stack.enter_context(OtlpReceiver())
        daemon = stack.enter_context(XRayDaemon())
        moto = stack.enter_context(MotoServer())
        rollbar = stack.enter_context(RollbarApi())
        hole = stack.enter_context(BlackHole())
        refused = f"127.0.0.1:{free_port()}"
        connection.send({
            "off": {"OBSERVABILITY_PROVIDERS": ""},
            "on": provider_environment(otlp.url, daemon.address, moto.url, rollbar.endpoint),
            "refusing": provider_environment(
                f"http://{refused}", refused, f"http://{refused}", f"http://{refused}/api/1/"
            ),
            "black-holed": provider_environment(
                hole.url, hole.address, hole.url, f"{hole.url}/api/1/"
            ),
        })  # fmt: skip
        connection.recv()  # until the benchmark is done


@contextlib.contextmanager
def receivers():
    """Starts the receivers' process; yields each scenario's environment."""
    here, there = multiprocessing.Pipe()
    process = multiprocessing.get_context("fork").Process(
        target=serve_receivers, args=(there,), daemon=True
    )
    process.start()
    try:
        yield here.recv()
    finally:
        here.send("stop")
        process.join(10)


def main():
    if pinned(LOAD_CPU):
        os.sched_setaffinity(0, {LOAD_CPU})  # this process, and the receivers' after it
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=int, default=3, help="load per scenario and round")
    parser.add_argument("--rounds", type=int, default=15, help="interleaved repetitions")
    parser.add_argument("--connections", type=int, default=4)
    args = parser.parse_args()

    with contextlib.ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        database_url = f"sqlite:///{workdir / 'bench.sqlite3'}"
        migrate(database_url)
        scenarios = stack.enter_context(receivers())
        results = {name: [] for name in scenarios}
        for round_number in range(args.rounds):
            # Fresh servers, one per scenario, for each round. Two processes of the same code can
            # keep different speeds for their whole life (three "off" servers of one run differed
            # by up to 12% in CPU per request over ten rounds); rounds average that out only if
            # each round has processes of its own.
            with gunicorns(database_url, scenarios) as servers:
                for url, _ in servers.values():
                    wrk(url, 2, args.connections)  # warm up
                order = list(scenarios)
                order = order[round_number % len(order) :] + order[: round_number % len(order)]
                for name in order:
                    results[name].append(measure(*servers[name], args.seconds, args.connections))
            print(
                f"round {round_number + 1}: "
                + ", ".join(f"{name} {results[name][-1]['rps']:.0f}" for name in scenarios)
                + " req/s",
                flush=True,
            )
        report(results, args)


def paired_ratios(results, name, base, key="rps"):
    """`name` against `base`, round by round: the four scenarios of a round run within seconds
    of each other, so each ratio sees the machine at one speed, however it drifts between rounds."""
    return [r[key] / b[key] for r, b in zip(results[name], results[base], strict=True)]


def report(results, args):
    def median(name, key):
        return statistics.median(r[key] for r in results[name])

    print(
        f"\nGET {PATH}, gunicorn 1 sync worker, wrk -c{args.connections}, "
        f"{args.seconds}s x {args.rounds} rounds interleaved, fresh servers each round; medians, "
        "ratios paired by round"
    )
    header = f"{'scenario':<12}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU ms/req':>12}"
    header += f"{'peak MB':>9}{'non-200':>9}{'vs off':>8}{'vs on':>8}"
    print(header)
    for name in results:
        bad = sum(r["bad"] + r["socket_errors"] for r in results[name])
        print(
            f"{name:<12}{median(name, 'rps'):>9.0f}{median(name, 'p50'):>9.2f}"
            f"{median(name, 'p99'):>9.2f}{median(name, 'cpu_ms'):>12.3f}"
            f"{max(r['peak_mb'] for r in results[name]):>9.1f}{bad:>9}"
            f"{statistics.median(paired_ratios(results, name, 'off')):>8.2f}"
            f"{statistics.median(paired_ratios(results, name, 'on')):>8.2f}"
        )
    print("\nthroughput ratios, round by round:")
    for name, base in (("on", "off"), ("refusing", "on"), ("black-holed", "on")):
        ratios = " ".join(f"{ratio:.2f}" for ratio in paired_ratios(results, name, base))
        print(f"  {name + ' / ' + base:<20}{ratios}")


if __name__ == "__main__":
    main()
