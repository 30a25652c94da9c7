"""Reading trace headers a client sent: a valid Root is kept, everything malformed is dropped
field by field, and nothing a client writes is ever copied into an id or raises."""

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from observability.trace_ids import parse_traceparent, parse_xray_header

ROOT = "1-5759e988-bd862e3fe1be46a994272793"
TRACE_ID = "5759e988bd862e3fe1be46a994272793"
PARENT = "53995c3f42cd8ad8"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"Root={ROOT};Parent={PARENT};Sampled=1", (TRACE_ID, PARENT, True)),
        (f"Root={ROOT}", (TRACE_ID, None, None)),
        (f"Root={ROOT};Sampled=?", (TRACE_ID, None, None)),
        (f" Root={ROOT} ; Parent={PARENT.upper()} ; Sampled=0 ", (TRACE_ID, PARENT, False)),
        # A bad Parent is dropped and the Root kept.
        (f"Root={ROOT};Parent=zzzz5c3f42cd8ad8;Sampled=1", (TRACE_ID, None, True)),
        (f"Root={ROOT};Parent=-1;Sampled=1", (TRACE_ID, None, True)),
        (f"Root={ROOT};Parent=1{PARENT};Sampled=1", (TRACE_ID, None, True)),
        (f'Root={ROOT};Parent="{PARENT}"', (TRACE_ID, None, None)),
        (f"Root={ROOT};Parent=0000000000000000", (TRACE_ID, None, None)),
        (f"Root={ROOT};Parent={PARENT} trace_id=forged", (TRACE_ID, None, None)),
        # Repeated fields count only when they agree.
        (f"Root={ROOT};Parent={PARENT};Parent=1111111111111111", (TRACE_ID, None, None)),
        (f"Root={ROOT};Parent={PARENT};Parent={PARENT}", (TRACE_ID, PARENT, None)),
        # Two header lines joined by a proxy: the first with a valid Root counts.
        (f"Root={ROOT};Parent={PARENT}, Root=1-00000000-x", (TRACE_ID, PARENT, None)),
        (f"Root=bad;Parent={PARENT}, Root={ROOT};Sampled=1", (TRACE_ID, None, True)),
        (f"Root={ROOT};Sampled=yes", (TRACE_ID, None, None)),
        # No valid Root: nothing at all.
        ("Root=1-5759e988-bd86;Parent=53995c3f42cd8ad8", (None, None, None)),
        ("Root=1-00000000-000000000000000000000000", (None, None, None)),
        ("Root=2-5759e988-bd862e3fe1be46a994272793", (None, None, None)),
        (f"Root={ROOT}x", (None, None, None)),
        ("", (None, None, None)),
        (None, (None, None, None)),
        (f"Root={ROOT};" + "x" * 2000, (None, None, None)),
    ],
)
def test_xray_header(header, expected):
    assert parse_xray_header(header) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (f"00-{TRACE_ID}-{PARENT}-01", (TRACE_ID, PARENT, True)),
        (f"00-{TRACE_ID}-{PARENT}-00", (TRACE_ID, PARENT, False)),
        (f"00-{'0' * 32}-{PARENT}-01", None),
        (f"00-{TRACE_ID}-{'0' * 16}-01", None),
        (f"00-{TRACE_ID.upper()}-{PARENT}-01", None),
        (f"01-{TRACE_ID}-{PARENT}-01", None),
        ("garbage", None),
        (None, None),
    ],
)
def test_traceparent(header, expected):
    assert parse_traceparent(header) == expected


FIELD_VALUES = st.one_of(
    st.just(ROOT), st.just(PARENT), st.sampled_from(["0", "1", "?", "-1", '"', ""]),
    st.text(max_size=40), st.text("0123456789abcdefABCDEF-", max_size=40),
)  # fmt: skip
FIELD = st.tuples(st.sampled_from(["Root", "Parent", "Sampled", "Self", "x"]), FIELD_VALUES).map(
    "=".join
)
HEADER = st.one_of(
    st.text(max_size=300),
    st.lists(st.lists(FIELD, max_size=6).map(";".join), min_size=1, max_size=3).map(",".join),
)


@settings(max_examples=2000, database=None, derandomize=True)
@given(HEADER)
def test_whatever_a_client_sends_yields_valid_ids_or_none(header):
    trace_id, parent_id, sampled = parse_xray_header(header)
    if trace_id is None:
        assert (parent_id, sampled) == (None, None)
        return
    assert re.fullmatch(r"[0-9a-f]{32}", trace_id)
    assert int(trace_id, 16)
    assert parent_id is None or (re.fullmatch(r"[0-9a-f]{16}", parent_id) and int(parent_id, 16))
    assert sampled in (True, False, None)


@settings(max_examples=500, database=None, derandomize=True)
@given(st.text(max_size=100))
def test_whatever_a_client_sends_as_traceparent_never_raises(header):
    result = parse_traceparent(header)
    assert result is None or re.fullmatch(r"[0-9a-f]{32}", result[0])
