"""The benchmark's machinery, run short: every scenario serves, wrk's figures are read, and the
instruction loop sends all its telemetry. (What the figures say is for bench/run, not a test.)"""

import os
import re
import shutil
import subprocess
import sys

import pytest

from bench.benchmark import PROJECT_DIR, migrate, receivers
from bench.instructions import run_loop

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
