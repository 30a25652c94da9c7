"""Telemetry overhead counted in instructions per request: the same figure on every run.

The throughput benchmark (bench/benchmark.py) measures what users feel, but on a shared or
virtual machine its figures move by 10-20% between rounds. This counts what the CPU executes
instead, with valgrind's callgrind: `bench/wsgi_loop.py` calls the app in-process, with all
providers off, then with all four on against local receivers, once with no measured request and
once with `--requests`; the difference, divided by the requests, is the cost of a request, every
thread of the process included (exports, segments and log batches are flushed before the end).
Callgrind runs the code about fifty times slower, so a run takes a few minutes.
"""

import argparse
import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.benchmark import migrate, receivers  # noqa: E402

# Not the fault scenarios: what they cost is a failed export now and then, paced by wall-clock
# timeouts and back-off, which valgrind's slow clock spreads over fifty times fewer requests
# (counted once: refusing 21.38 M against on's 20.84 M; a failed export is rare in service).
SCENARIOS = ("off", "on")


def run_loop(environment, *arguments, under=()):
    """bench/wsgi_loop.py with `arguments`, prefixed by the `under` command (valgrind)."""
    subprocess.run(
        [*under, sys.executable, str(PROJECT_DIR / "bench" / "wsgi_loop.py"), *arguments],
        cwd=PROJECT_DIR, env=environment, check=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def instructions(environment, requests, workdir):
    """Instructions the process executed for start-up, warm-up and `requests` requests."""
    output = Path(workdir) / f"callgrind.{requests}.{os.urandom(4).hex()}.out"
    callgrind = ("valgrind", "--tool=callgrind", f"--callgrind-out-file={output}")
    run_loop(environment, "--requests", str(requests), under=callgrind)
    totals = re.search(r"^(?:summary|totals): (\d+)", output.read_text(), re.M)
    return int(totals.group(1))


def per_request(environment, requests, workdir):
    """The two runs in parallel (one per core); their difference per measured request.

    A run outside valgrind goes first, so that what a process does once per backend (creating
    the CloudWatch log group) is done: otherwise the two counted runs race to do it, and the
    one that finds it done takes another path, which moved the figure by 2%."""
    run_loop(environment, "--warm-up", "1", "--requests", "0")
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        base = pool.submit(instructions, environment, 0, workdir)
        loaded = pool.submit(instructions, environment, requests, workdir)
        return (loaded.result() - base.result()) / requests


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per run")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")

    with tempfile.TemporaryDirectory() as workdir, receivers() as scenarios:
        database_url = f"sqlite:///{Path(workdir) / 'bench.sqlite3'}"
        migrate(database_url)
        counts = {}
        for name in SCENARIOS:
            environment = {**os.environ, "DATABASE_URL": database_url, **scenarios[name]}
            counts[name] = per_request(environment, args.requests, workdir)
            print(f"{name}: {counts[name] / 1e6:.2f} M instructions per request", flush=True)
    print(f"\nGET /api/activities/home in-process, {args.requests} requests counted by callgrind")
    print(f"{'scenario':<12}{'M instr/req':>12}{'vs off':>8}")
    for name in SCENARIOS:
        print(f"{name:<12}{counts[name] / 1e6:>12.2f}{counts['off'] / counts[name]:>8.3f}")
    print("(vs off: off's instructions over the scenario's, as a throughput ratio would read)")


if __name__ == "__main__":
    main()
