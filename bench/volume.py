"""Whether the home feed's cost grows with the data: GET /api/activities/home on the seed data
against a database that also holds 100,000 activities and 200,000 replies (`manage.py
seed_volume`), on SQLite and on PostgreSQL (`bench/run --instructions --volume`).

Three data sets: the seed; "a full page", the seed with 1% of the volume added within the last 30
days (enough for a full first page, with its replies); and the volume, that same data with the
other 99% added older than 30 days. The last two answer the same first page, byte for byte, so
their ratio is what the table's size costs; the ratio to the seed also counts the bigger page.

For each database and data set: instructions per request, counted as for the endpoint table
(bench/callgrind.py, all providers off), then the median and 99th percentile of in-process
wall-clock times of home requests, outside valgrind, one run at a time. Under PostgreSQL the count
is the app's process only (the server's work is another process's); the times include it.
"""

import os
import re
import sys

import psycopg

from bench.callgrind import BASE, WARM_UP, Run, count_all, per_request, run_loop
from bench.databases import manage, template

TIMED_REQUESTS = 500
# What wsgi_loop.py prints: the timings, and the length of the latest answer.
TIMINGS = re.compile(r"^p50 ([\d.]+) ms, p99 ([\d.]+) ms$", re.M)
HOME_BYTES = re.compile(r"^200 x \d+ GET /api/activities/home \((\d+) bytes\)$", re.M)


def measure(database, requests, workdir):
    """Home's instructions per request, p50 and p99 in ms, and the length of its answer in KB,
    on copies of `database`."""
    environment = {**os.environ, "OBSERVABILITY_PROVIDERS": ""}
    runs = [Run("off", BASE, 0, WARM_UP), Run("off", "home", requests, WARM_UP)]
    counts = count_all(runs, {"off": environment}, database, workdir)
    output = run_loop(
        {**environment, "DATABASE_URL": database.copy()},
        "--endpoint", "home", "--warm-up", str(WARM_UP), "--requests", str(TIMED_REQUESTS),
        "--timings",
    )  # fmt: skip
    p50, p99 = TIMINGS.search(output).groups()
    kilobytes = int(HOME_BYTES.search(output).group(1)) / 1000
    return per_request(counts, runs[1]), float(p50), float(p99), kilobytes


# The part of the volume that fills the first page: added within the last RECENT_DAYS days.
RECENT_SHARE, RECENT_DAYS = 0.01, 30


def fill(database, args, data_set):
    """seed_volume for "page" (the recent part) and "volume" (also the rest, older)."""
    recent = [round(args.activities * RECENT_SHARE), round(args.replies * RECENT_SHARE)]
    if data_set in ("page", "volume"):
        manage(
            database.url, "seed_volume", "--activities", str(recent[0]),
            "--replies", str(recent[1]), "--days", str(RECENT_DAYS),
        )  # fmt: skip
    if data_set == "volume":
        manage(
            database.url, "seed_volume", "--activities", str(args.activities - recent[0]),
            "--replies", str(args.replies - recent[1]), "--older-than-days", str(RECENT_DAYS),
            "--days", str(365 - RECENT_DAYS), "--seed", "1",
        )  # fmt: skip


def measure_data_set(kind, data_set, args, workdir):
    """`measure` on a new database of `kind`, filled by seed_volume for `data_set`."""
    with template(kind, workdir, args.postgresql) as database:
        fill(database, args, data_set)
        print(f"measuring {kind}, {data_set} data", file=sys.stderr, flush=True)
        return measure(database, args.requests, workdir)


def volume_table(args, workdir):
    kinds = [kind.strip() for kind in args.databases.split(",") if kind.strip()]
    if not kinds or set(kinds) - {"sqlite", "postgresql"}:
        raise SystemExit("--databases: sqlite, postgresql or both")
    data_sets = {
        "seed": "seed data",
        "page": "a full page (1% of volume)",
        "volume": f"+{args.activities:,} +{args.replies:,} replies",
    }
    print(
        f"GET /api/activities/home, all providers off, in-process: {args.requests} requests "
        f"counted by callgrind, {TIMED_REQUESTS} timed outside it"
    )
    print(f"{'database':<12}{'data':<28}{'M instr/req':>12}{'p50 ms':>9}{'p99 ms':>9}{'KB':>7}")
    for kind in kinds:
        rows = {}
        for data_set, label in data_sets.items():
            try:
                rows[data_set] = measure_data_set(kind, data_set, args, workdir)
            except psycopg.OperationalError as error:
                raise SystemExit(
                    f"PostgreSQL at {args.postgresql}: {error}\n(--databases sqlite leaves it out)"
                ) from None
            cost, p50, p99, kilobytes = rows[data_set]
            print(
                f"{kind:<12}{label:<28}{cost / 1e6:>12.2f}{p50:>9.2f}{p99:>9.2f}{kilobytes:>7.1f}",
                flush=True,
            )
        for base, label in (("page", "volume / full page"), ("seed", "volume / seed")):
            ratios = [new / old for new, old in zip(rows["volume"], rows[base], strict=True)]
            print(f"{kind:<12}{label:<28}" + "".join(f"{r:>{w}.2f}" for r, w in
                  zip(ratios, (12, 9, 9, 7), strict=True)))  # fmt: skip
    print(
        "(KB: the length of home's answer; a full page and the volume answer the same page, so\n"
        "their ratio is the table's size alone; the seed's page is smaller;\n"
        "under PostgreSQL the count is the app's process only; the times include the server)"
    )
