"""RequestSampler decides as OpenTelemetry's ParentBased with the same samplers does, for a new
trace and for every kind of parent: decision, attributes and trace state alike."""

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from observability.providers.otel.propagation import (
    RequestSampler,
    UndecidedParentSampler,
    request_sampler,
)
from observability.trace_ids import UNDECIDED

TRACE_ID = 0x5F3E1A2B0AF7651916CD43DD8448EB21
STATE = trace.TraceState([("vendor", "value")])
PARENTS = {
    "none": None,
    "invalid": trace.INVALID_SPAN_CONTEXT,
    "local, sampled": (False, True, STATE),
    "local, not sampled": (False, False, STATE),
    "remote, sampled": (True, True, STATE),
    "remote, not sampled": (True, False, STATE),
    "remote, undecided": (True, False, trace.TraceState([UNDECIDED])),
}


def context_of(parent):
    if parent is None:
        return None
    if isinstance(parent, trace.SpanContext):
        return trace.set_span_in_context(trace.NonRecordingSpan(parent))
    remote, sampled, state = parent
    flags = trace.TraceFlags(trace.TraceFlags.SAMPLED if sampled else 0)
    context = trace.SpanContext(TRACE_ID, 0xB7AD6B7169203331, remote, flags, state)
    return trace.set_span_in_context(trace.NonRecordingSpan(context))


def decided(sampler, parent):
    result = sampler.should_sample(context_of(parent), TRACE_ID, "GET", attributes={"a": 1})
    return result.decision, dict(result.attributes), result.trace_state


@pytest.mark.parametrize("ratio", [None, 0.0, 1.0])
@pytest.mark.parametrize("parent", PARENTS)
def test_it_decides_as_parent_based(ratio, parent):
    ours = request_sampler(ratio)
    assert isinstance(ours, RequestSampler)
    root = ours._root
    library = ParentBased(root=root, remote_parent_not_sampled=UndecidedParentSampler(root))
    assert decided(ours, PARENTS[parent]) == decided(library, PARENTS[parent])
    assert ours.get_description() == library.get_description()


def test_a_ratio_root_decides_by_the_trace_id():
    root = TraceIdRatioBased(0.5)
    ours = request_sampler(root=root)
    library = ParentBased(root=root, remote_parent_not_sampled=UndecidedParentSampler(root))
    for trace_id in (1, 2**63, 2**64 - 1, TRACE_ID):
        assert ours.should_sample(None, trace_id, "GET").decision == (
            library.should_sample(None, trace_id, "GET").decision
        )
