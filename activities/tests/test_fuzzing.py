"""Schemathesis against a live server, on the schema it serves: every operation, both methods,
cases generated from the schema (valid ones, and ones that break it), and stateful sequences.

Passes when no answer is a 5xx, every answer matches the schema (status, content type, headers,
body), and every request that breaks the schema is refused with a 4xx. Not checked: that every
schema-valid request is accepted, as `cursor` is an opaque token (the schema cannot tell a cursor
this API handed out from any other string) and a handle may name nobody (404 user_not_found).

The seed is fixed, so a run can be repeated; SCHEMATHESIS_SEED picks others. The output lands in
test-artifacts/schemathesis/.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.server

ARTIFACTS = Path(settings.BASE_DIR) / "test-artifacts" / "schemathesis"
MAX_EXAMPLES = 40
MIN_CASES = 300


def test_generated_cases_find_no_server_error_and_no_answer_off_the_schema(server):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "st"), "run", f"{server}/api/schema",
        "--checks", "all", "--exclude-checks", "positive_data_acceptance",
        "--max-examples", str(MAX_EXAMPLES), "--seed", os.environ.get("SCHEMATHESIS_SEED", "1"),
        "--workers", "1", "--request-timeout", "10",
        "--report", "junit", "--report-dir", str(ARTIFACTS),
    ]  # fmt: skip
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=600, env={**os.environ, "NO_COLOR": "1"}
    )
    output = result.stdout + result.stderr
    (ARTIFACTS / "output.txt").write_text(output)
    assert result.returncode == 0, output[-10000:]
    selected, total = map(int, re.search(r"Selected: (\d+)/(\d+)", output).groups())
    tested = int(re.search(r"Tested: (\d+)", output).group(1))
    assert selected == total == tested == 16  # every operation of the schema, GETs and POSTs
    cases = int(re.search(r"(\d+) generated", output).group(1))
    assert cases >= MIN_CASES, output[-3000:]
    print(f"schemathesis: {cases} cases over {tested} operations, no failure")
