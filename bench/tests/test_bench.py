"""The benchmark's machinery, run short: every scenario serves, wrk's figures are read, the
instruction loop sends all its telemetry, answers 200 on every endpoint (and stops at any other
answer), and the volume data reaches the copies that runs use, on the tests' kind of database.
(What the figures say is for bench/run, not a test.)"""

import os
import re
import shutil
import subprocess
import sys

import pytest
from django.conf import settings

from bench.benchmark import PROJECT_DIR, migrate, receivers
from bench.callgrind import run_loop
from bench.databases import manage, template
from bench.endpoints import ACTIVITY, ENDPOINTS
from bench.volume import TIMINGS

SCENARIOS = ("off", "on", "refusing", "black-holed")

pytestmark = pytest.mark.server


@pytest.fixture
def wrk():
    if not shutil.which("wrk"):
        message = "wrk is not installed (bin/test installs it as root: apt-get install wrk)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def test_one_round_of_every_scenario_prints_the_table(wrk):
    result = subprocess.run(
        [sys.executable, "bench/benchmark.py", "--seconds", "1", "--rounds", "1",
         "--connections", "2"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    rows = {
        match.group(1): match.groups()[1:]
        for match in re.finditer(
            r"^(off|on|refusing|black-holed)\s+(\d+)\s+[\d.]+\s+[\d.]+\s+([\d.]+)\s+([\d.]+)"
            r"\s+(\d+)\s+([\d.]+)\s+([\d.]+)$",
            result.stdout,
            re.M,
        )
    }
    assert set(rows) == set(SCENARIOS), result.stdout
    for name, (rps, cpu_ms, peak_mb, non_200, *_) in rows.items():
        assert int(rps) > 0, name
        assert float(cpu_ms) > 0, name
        assert float(peak_mb) > 20, name
        assert int(non_200) == 0, name
    assert rows["off"][4] == "1.00"  # off against itself
    assert rows["on"][5] == "1.00"
    assert re.search(r"^  on / off\s+[\d.]+$", result.stdout, re.M), result.stdout


@pytest.mark.parametrize("scenario", ["off", "on"])
def test_instruction_loop_answers_and_sends_everything(scenario, tmp_path):
    """bench/wsgi_loop.py, outside valgrind: it exits non-zero on an answer other than 200, or
    when a sender still holds or has dropped telemetry after the final flush."""
    database_url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    migrate(database_url)
    with receivers() as scenarios:
        environment = {**os.environ, "DATABASE_URL": database_url, **scenarios[scenario]}
        run_loop(environment, "--warm-up", "2", "--requests", "5")


@pytest.fixture
def bench_database(tmp_path):
    """A migrated (so seeded) template database of bench/databases.py, of the tests' kind."""
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        with template("sqlite", tmp_path) as made:
            yield made
        return
    auth = ":".join(filter(None, (database["USER"], database["PASSWORD"])))
    server = f"postgres://{auth}@{database['HOST']}:{database['PORT'] or 5432}/postgres"
    with template("postgresql", tmp_path, server) as made:
        yield made


def loop_off(database_url, *arguments):
    environment = {**os.environ, "DATABASE_URL": database_url, "OBSERVABILITY_PROVIDERS": ""}
    return run_loop(environment, *arguments)


def query(database_url, expression):
    """What `expression` (over the models) evaluates to: the last line manage.py shell prints."""
    code = f"from activities.models import *; print({expression})"
    return manage(database_url, "shell", "-c", code).strip().splitlines()[-1]


def test_endpoint_loop_answers_200_on_every_endpoint(bench_database):
    """One warm-up round requests every endpoint once; then three measured replies. The loop
    prints what answered 200, and the replies are in the database."""
    database_url = bench_database.copy()
    output = loop_off(database_url, "--warm-up", "1", "--endpoint", "post-reply", "--requests", "3")
    lines = re.findall(r"^200 x (\d+) (.+) \((\d+) bytes\)$", output, re.M)
    answered = {path: int(count) for count, path, _ in lines}
    expected = {str(endpoint): 1 for endpoint in ENDPOINTS.values()}
    expected[str(ENDPOINTS["post-reply"])] = 4
    assert answered == expected
    assert all(int(length) > 10 for _, _, length in lines)  # a JSON body, each
    assert {e.method for e in ENDPOINTS.values()} == {"GET", "POST"}
    replies = f"Activity.objects.filter(reply_to_id='{ACTIVITY}').count()"
    assert query(database_url, replies) == "5"  # the seed's one and four posted
    assert query(database_url, "Message.objects.count()") == "3"


def test_endpoint_loop_stops_at_an_answer_other_than_200(bench_database):
    database_url = bench_database.copy()
    query(database_url, f"Activity.objects.filter(pk='{ACTIVITY}').delete()")
    with pytest.raises(RuntimeError, match=f"GET /api/activities/{ACTIVITY} answered 404"):
        loop_off(database_url, "--warm-up", "1", "--requests", "0")


def test_volume_data_reaches_the_copies_the_runs_use(bench_database):
    manage(bench_database.url, "seed_volume", "--activities", "200", "--replies", "400",
           "--users", "5")  # fmt: skip
    database_url = bench_database.copy()
    counts = (
        "Activity.objects.filter(reply_to=None).count(),"
        "Activity.objects.exclude(reply_to=None).count(), User.objects.count()"
    )
    assert query(database_url, counts) == "204 401 8"  # with the seed's 4, 1 and 3
    output = loop_off(database_url, "--warm-up", "1", "--requests", "2", "--timings")
    assert re.search(r"^200 x 3 GET /api/activities/home \(\d{4,} bytes\)$", output, re.M)
    p50, p99 = map(float, TIMINGS.search(output).groups())
    assert 0 < p50 <= p99
