"""What a request costs, counted in instructions: the same figure on every run.

The throughput benchmark (bench/benchmark.py) measures what users feel, but on a shared or
virtual machine its figures move by 10-20% between rounds. This counts what the CPU executes
instead, with valgrind's callgrind (bench/callgrind.py): bench/wsgi_loop.py calls the app
in-process, once with no measured request and once per endpoint with `--requests` of it; the
difference, divided by the requests, is the cost of a request of that endpoint, every thread of
the process included (exports, segments and log batches are flushed before the end).

Every endpoint of bench/endpoints.py is counted with all providers off, and the home feed also
with all four on against local receivers, with each X-Ray source (on: segments from the
OpenTelemetry spans, the default; on-sdk: the X-Ray SDK's middleware), and "on" with database
spans switched off (on-nodb) and with the request metrics switched off (on-nometrics), so that
"on" less each is what it costs. `--volume` counts the
home feed on the seed data against a database of 100,000 activities instead (bench/volume.py).
Callgrind runs the code about fifty times slower, so a run takes several minutes.
"""

import argparse
import os
import shutil
import sys
import tempfile
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT_DIR))

from bench.benchmark import receivers  # noqa: E402
from bench.callgrind import BASE, WARM_UP, Run, count_all, per_request, run_loop  # noqa: E402
from bench.databases import POSTGRESQL, template  # noqa: E402
from bench.endpoints import ENDPOINTS, selected  # noqa: E402

# Not the fault scenarios: what they cost is a failed export now and then, paced by wall-clock
# timeouts and back-off, which valgrind's slow clock spreads over fifty times fewer requests
# (counted once: refusing 21.38 M against on's 20.84 M; a failed export is rare in service).
SCENARIOS = ("off", "on", "on-nodb", "on-nometrics", "on-sdk")
# "on" takes the default X-Ray source with the otel provider on: segments built from the
# OpenTelemetry spans. "on-nodb" is "on" with database spans switched off, and "on-nometrics" with
# the request metrics switched off, so that "on" less each is what it costs. "on-sdk" is "on"
# with the X-Ray SDK's middleware.
VARIANTS = {
    "on-nodb": {"OBSERVABILITY_DATABASE_SPANS": "off"},
    "on-nometrics": {"OBSERVABILITY_METRICS": "off"},
    "on-sdk": {"OBSERVABILITY_XRAY_SOURCE": "sdk"},
}


# A part of "on" -> the scenario that has it switched off.
PARTS = {"database spans": "on-nodb", "request metrics": "on-nometrics"}


def planned_runs(endpoints, requests):
    """The runs to count, longest first so that the two cores finish together: with "home"
    selected, its base and loaded runs with all providers on; the base run with all off, and
    one loaded run per endpoint."""
    runs = []
    if "home" in endpoints:
        for scenario in ("on", *VARIANTS):
            runs += [Run(scenario, BASE, 0, WARM_UP), Run(scenario, "home", requests, WARM_UP)]
    runs.append(Run("off", BASE, 0, WARM_UP))
    return runs + [Run("off", name, requests, WARM_UP) for name in endpoints]


def print_progress(run, done, total):
    print(f"counted {done} of {total}: {run.endpoint or 'base'} ({run.scenario})", file=sys.stderr)


def report_home(costs, requests):
    """The home feed, off against on, as the benchmark has always printed it."""
    for name in SCENARIOS:
        print(f"{name}: {costs[name, 'home'] / 1e6:.2f} M instructions per request")
    print(f"\nGET /api/activities/home in-process, {requests} requests counted by callgrind")
    print(f"{'scenario':<12}{'M instr/req':>12}{'vs off':>8}")
    for name in SCENARIOS:
        ratio = costs["off", "home"] / costs[name, "home"]
        print(f"{name:<12}{costs[name, 'home'] / 1e6:>12.2f}{ratio:>8.3f}")
    print("(vs off: off's instructions over the scenario's, as a throughput ratio would read)")
    print("\nWhat a part costs all on (on less the scenario without it), M instr/req")
    for part, scenario in PARTS.items():
        print(f"{part:<16}{(costs['on', 'home'] - costs[scenario, 'home']) / 1e6:>+8.3f}")


def report_endpoints(costs, endpoints, requests):
    print(
        f"\nEvery endpoint, all providers off, in-process, {requests} requests each counted by "
        f"callgrind\n(baseline: a run of {WARM_UP} warm-up rounds of every endpoint, on the "
        "seed data)"
    )
    width = max(len(str(ENDPOINTS[name])) for name in endpoints) + 2
    print(f"{'endpoint':<{width}}{'M instr/req':>12}")
    for name in endpoints:
        print(f"{ENDPOINTS[name]!s:<{width}}{costs['off', name] / 1e6:>12.2f}")


def endpoint_table(args, workdir):
    endpoints = selected(args.endpoints)
    runs = planned_runs(endpoints, args.requests)
    with receivers() as scenarios, template("sqlite", workdir) as database:
        if "home" in endpoints:
            # Outside valgrind first, so that what a process does once per backend (creating the
            # CloudWatch log group) is done: otherwise two counted runs race to do it, and the
            # one that finds it done takes another path, which moved the figure by 2%.
            run_loop(
                {**os.environ, **scenarios["on"], "DATABASE_URL": database.copy()},
                "--warm-up", "1", "--requests", "0",
            )  # fmt: skip
        scenarios |= {name: {**scenarios["on"], **changes} for name, changes in VARIANTS.items()}
        environments = {name: {**os.environ, **scenarios[name]} for name in SCENARIOS}
        counts = count_all(runs, environments, database, workdir, print_progress)
    costs = {(run.scenario, run.endpoint): per_request(counts, run) for run in runs if run.endpoint}
    if "home" in endpoints:
        report_home(costs, args.requests)
    report_endpoints(costs, endpoints, args.requests)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="measured requests per run")
    parser.add_argument(
        "--endpoints", default="all", help=f"comma-separated, of: {', '.join(ENDPOINTS)}"
    )
    parser.add_argument(
        "--volume", action="store_true",
        help="instead: the home feed on the seed data against 100,000 activities (bench/volume.py)",
    )  # fmt: skip
    parser.add_argument("--databases", default="sqlite,postgresql", help="with --volume")
    parser.add_argument("--activities", type=int, default=100_000, help="with --volume")
    parser.add_argument("--replies", type=int, default=200_000, help="with --volume")
    parser.add_argument("--postgresql", default=POSTGRESQL, help="with --volume: the server")
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        raise SystemExit("valgrind is needed: apt-get install valgrind")
    try:
        selected(args.endpoints)
    except ValueError as error:
        parser.error(str(error))

    with tempfile.TemporaryDirectory() as workdir:
        if args.volume:
            from bench.volume import volume_table

            volume_table(args, workdir)
        else:
            endpoint_table(args, workdir)


if __name__ == "__main__":
    main()
