"""The trace id formats, and reading them from what a client sends: OpenTelemetry's 32 hex digits,
X-Ray's `1-xxxxxxxx-xxxxxxxxxxxxxxxxxxxxxxxx`, and the X-Amzn-Trace-Id and traceparent headers.

A leaf module. Every id that reaches a span, a segment or a log line passed through here, so a
header a client forged or a proxy mangled is ignored field by field, never copied, and never
raises: a bad Parent or Sampled is dropped while a good Root is kept.
"""

import re

# An X-Amzn-Trace-Id is a few short fields; anything much longer is not one.
MAX_HEADER_LENGTH = 1024
XRAY_ROOT = re.compile(r"1-([0-9a-f]{8})-([0-9a-f]{24})")
SPAN_ID = re.compile(r"[0-9a-f]{16}")
TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
SAMPLED = {"1": True, "0": False}
# Trace-state entries that mark what an X-Amzn-Trace-Id left out: no Parent (the span context then
# carries a placeholder id that is never passed on), no sampling decision yet.
NO_PARENT = ("xrayparent", "none")
UNDECIDED = ("xraysampled", "undecided")


def to_xray(trace_id):
    """`5f7a...` (32 hex digits) as X-Ray writes it: `1-5f7a1234-...` (time, then 24 digits)."""
    return f"1-{trace_id[:8]}-{trace_id[8:]}"


def from_xray(root):
    """The 32-hex-digit form of an X-Ray root id, or None when it is not a valid one."""
    match = XRAY_ROOT.fullmatch((root or "").lower())
    trace_id = match.group(1) + match.group(2) if match else None
    return trace_id if trace_id and int(trace_id, 16) else None


def valid_span_id(value):
    """`value` lower-cased when it is a span id (16 hex digits, not all zero), else None."""
    value = (value or "").lower()
    return value if SPAN_ID.fullmatch(value) and int(value, 16) else None


def header_fields(value):
    """The `key=value` fields of one X-Amzn-Trace-Id value; a key given twice counts only when
    both say the same."""
    fields, conflicting = {}, set()
    for part in value.split(";"):
        key, separator, field = part.partition("=")
        key, field = key.strip(), field.strip()
        if not separator:
            continue
        if fields.setdefault(key, field) != field:
            conflicting.add(key)
    return {key: field for key, field in fields.items() if key not in conflicting}


def parse_xray_header(value):
    """(trace_id, parent_id, sampled) of an X-Amzn-Trace-Id header: (None, None, None) unless it
    holds a valid Root. Where proxies sent several (joined with commas), the first with a valid
    Root counts."""
    if not isinstance(value, str) or not value or len(value) > MAX_HEADER_LENGTH:
        return None, None, None
    for header in value.split(","):
        fields = header_fields(header)
        trace_id = from_xray(fields.get("Root"))
        if trace_id:
            return trace_id, valid_span_id(fields.get("Parent")), SAMPLED.get(fields.get("Sampled"))
    return None, None, None


def parse_traceparent(value):
    """(trace_id, parent_id, sampled) of a W3C traceparent (version 00), or None."""
    match = TRACEPARENT.fullmatch(value.strip()) if isinstance(value, str) else None
    if not match or not int(match.group(1), 16) or not int(match.group(2), 16):
        return None
    return match.group(1), match.group(2), bool(int(match.group(3), 16) & 1)


def is_placeholder_parent(span_context):
    """True for a remote parent made up for an X-Amzn-Trace-Id that had a Root and no Parent."""
    return span_context.trace_state.get(NO_PARENT[0]) == NO_PARENT[1]
