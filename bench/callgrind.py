"""Counting what requests cost with valgrind's callgrind: bench/wsgi_loop.py runs under it twice
or more, on copies of one database, two at a time (one per core).

A run's count covers start-up, the warm-up and its measured requests. The warm-up is the same
whatever the endpoint, so one run with no measured request (the "base") is the baseline of every
run of its environment and database: an endpoint costs (count(loaded) - count(base)) / requests,
every thread of the process included. The runs share a fixed PYTHONHASHSEED, so that hashing
takes the same paths in every process.
"""

import concurrent.futures
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import NamedTuple

PROJECT_DIR = Path(__file__).resolve().parents[1]
BASE = None  # the endpoint of a run with no measured request
WARM_UP = 3  # rounds of every endpoint before the measured requests


def run_loop(environment, *arguments, under=()):
    """bench/wsgi_loop.py with `arguments`, prefixed by the `under` command (valgrind); what it
    printed. Raises with the end of its stderr when it fails (an answer other than 200 does)."""
    result = subprocess.run(
        [*under, sys.executable, str(PROJECT_DIR / "bench" / "wsgi_loop.py"), *arguments],
        cwd=PROJECT_DIR, env={"PYTHONHASHSEED": "0", **environment}, capture_output=True,
        text=True,
    )  # fmt: skip
    if result.returncode:
        raise RuntimeError(f"wsgi_loop.py {' '.join(arguments)} failed:\n{result.stderr[-3000:]}")
    return result.stdout


class Run(NamedTuple):
    """One counted run: its scenario (a key of the environments), the endpoint measured (BASE
    for none), how many requests of it, and the rounds of warm-up before them."""

    scenario: str
    endpoint: str | None
    requests: int
    warm_up: int

    def base(self):
        """The run whose count is this one's baseline."""
        return self._replace(endpoint=BASE, requests=0)


def instructions(run, environment, database, workdir):
    """Instructions the process executed for start-up, warm-up and the run's requests, on a
    fresh copy of `database` (databases.py)."""
    output = Path(workdir) / f"callgrind.{run.endpoint}.{os.urandom(4).hex()}.out"
    arguments = ["--warm-up", str(run.warm_up)]
    if run.endpoint is BASE:
        arguments += ["--requests", "0"]
    else:
        arguments += ["--endpoint", run.endpoint, "--requests", str(run.requests)]
    run_loop(
        {**environment, "DATABASE_URL": database.copy()},
        *arguments,
        under=("valgrind", "--tool=callgrind", f"--callgrind-out-file={output}"),
    )
    totals = re.search(r"^(?:summary|totals): (\d+)", output.read_text(), re.M)
    output.unlink()
    return int(totals.group(1))


def count_all(runs, environments, database, workdir, progress=None):
    """Every run counted, two at a time, in the order given, each with its scenario's
    environment on its own copy of `database`; {run: instructions}. `progress(run, done, total)`
    is called as each ends."""
    counts = {}
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        futures = {
            pool.submit(instructions, run, environments[run.scenario], database, workdir): run
            for run in runs
        }
        for future in concurrent.futures.as_completed(futures):
            counts[futures[future]] = future.result()
            if progress:
                progress(futures[future], len(counts), len(runs))
    return counts


def per_request(counts, run):
    """What one request of `run` cost: its count less its base's, per request."""
    return (counts[run] - counts[run.base()]) / run.requests
