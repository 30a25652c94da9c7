"""OTLP's protobuf for a batch of spans, written straight to bytes: the bytes the exporter's own
encoder makes (encode_spans(spans).SerializePartialToString()), at a fraction of its cost.

The library builds a protobuf message per span, attribute and value, field by field from Python,
and then serializes them: in the benchmark that was the better part of what the span export thread
cost a request. Here each field is written as protobuf's wire format lays it out, in the order
the library's serializer writes it; the resource and the instrumentation scopes, the same in every
batch, are encoded once; an attribute of a type other than str, bool, int, float or None is
encoded by the library's own function. test_otlp_encoding.py holds the two encoders' bytes side
by side, and the OTLP receiver of the other tests decodes with the official protos.
"""

import logging
import struct
from collections import defaultdict

from opentelemetry.exporter.otlp.proto.common._internal import (
    _encode_instrumentation_scope,
    _encode_key_value,
    _encode_resource,
)
from opentelemetry.exporter.otlp.proto.common._internal.trace_encoder import _SPAN_KIND_MAP
from opentelemetry.exporter.otlp.proto.http._common import (
    RequestPayloadTooLargeError,
    _is_request_too_large,
)
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.trace.export import SpanExportResult
from opentelemetry.semconv.attributes.http_attributes import HTTP_RESPONSE_STATUS_CODE
from opentelemetry.trace import SpanKind
from opentelemetry.trace.span import DEFAULT_TRACE_STATE

from observability.providers.otel.child_spans import UNSET, ChildSpan, RootSpan
from observability.providers.otel.databases import QuerySpan
from observability.providers.otel.export import plain_attributes

# The loggers the library's encoder and exporter log under.
logger = logging.getLogger("opentelemetry.exporter.otlp.proto.common._internal")
_exporter_logger = logging.getLogger("opentelemetry.exporter.otlp.proto.http.trace_exporter")

MAX_INT64 = 2**63 - 1
# Varints of the lengths and numbers most fields hold, made once (about 150 kB).
SMALL = 4096
# Keys of attributes, as written before their value: KeyValue.key, then the tag of KeyValue.value.
_KEY_PREFIXES = {}
_CACHED_KEYS = 1024
_ENCODED = {}  # resource or scope -> its message's bytes; the same few objects in every batch
# A query's span attributes (system, database, statement) as items -> their encoded bytes: the
# same few statements come back with every request.
_QUERY_ATTRIBUTES = {}
# (tag, key, value) -> that attribute's field, for str values up to MAX_CACHED_PAIR characters
# and ints; emptied when it holds _CACHED_PAIRS (the export thread alone writes it).
_PAIRS = {}
_CACHED_PAIRS = 4096
MAX_CACHED_PAIR = 256
_CACHED_QUERIES = 1024
# A client query span's (name, dropped count, *attribute items) -> the bytes before its start time
# and after its end time (query_span).
_QUERY_PARTS = {}
# A query span's kind (client) and status (unset), as span() writes them.
_CLIENT = b"\x30\x03"
_UNSET = b"\x7a\x00"
_NO_STATE = DEFAULT_TRACE_STATE  # the trace state of most spans: an empty one
_LAST_STATE = (None, b"")  # the last trace state trace_state() encoded, and its bytes
# Spans without links, whose fields child_span reads.
LEAN_SPANS = (ChildSpan, RootSpan)


def varint(number):
    if number < SMALL:
        return _VARINTS[number]
    return _varint(number)


def _varint(number):
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


_VARINTS = [_varint(number) for number in range(SMALL)]


def field(tag, payload):
    """A length-delimited field: its tag (bytes), the payload's length and the payload."""
    return tag + varint(len(payload)) + payload


def key_prefix(key):
    prefix = _KEY_PREFIXES.get(key)
    if prefix is None:
        prefix = field(b"\x0a", key.encode()) + b"\x12"
        if len(_KEY_PREFIXES) < _CACHED_KEYS:
            _KEY_PREFIXES[key] = prefix
    return prefix


def any_value(value):
    """An AnyValue's bytes for the common types, else None (the library's encoder then decides)."""
    kind = type(value)
    if kind is str:
        return field(b"\x0a", value.encode())
    if kind is bool:
        return b"\x10\x01" if value else b"\x10\x00"
    if kind is int and 0 <= value <= MAX_INT64:
        return b"\x18" + varint(value)
    if kind is float:
        return b"\x21" + struct.pack("<d", value)
    if value is None:
        return b""
    return None


def key_value(key, value):
    """A KeyValue's bytes (without its own tag)."""
    try:
        encoded = any_value(value) if type(key) is str else None
    except UnicodeEncodeError:
        encoded = None
    if encoded is None:
        return _encode_key_value(key, value).SerializePartialToString()
    return key_prefix(key) + varint(len(encoded)) + encoded


def attributes(tag, values):
    """A repeated KeyValue field; an attribute that cannot be encoded is logged and left out, as
    the library does. A short string or an int attribute is encoded once: most come back with
    every request (method, host, scheme, route, status), and then cost one look-up."""
    if not values:
        return b""
    parts = []
    for key, value in values.items():
        kind = value.__class__
        if (kind is str and len(value) <= MAX_CACHED_PAIR) or kind is int:
            pair = (tag, key, value)  # a str and an int never compare equal
            encoded = _PAIRS.get(pair)
            if encoded is None:
                encoded = attribute(tag, key, value)
                if len(_PAIRS) >= _CACHED_PAIRS:
                    _PAIRS.clear()
                if encoded:
                    _PAIRS[pair] = encoded
            parts.append(encoded)
        else:
            parts.append(attribute(tag, key, value))
    return b"".join(parts)


def attribute(tag, key, value):
    """One KeyValue field, with its tag; b"" (and logged) when it cannot be encoded."""
    try:
        prefix = _KEY_PREFIXES.get(key)
        if prefix is not None and type(value) is str and len(value) < SMALL // 8:
            data = value.encode()  # at most 4 bytes a character: under SMALL // 2
            body = b"\x0a" + _VARINTS[len(data)] + data
            body = prefix + _VARINTS[len(body)] + body
        else:
            body = key_value(key, value)
        return tag + varint(len(body)) + body
    except Exception as error:
        logger.exception("Failed to encode key %s: %s", key, error)
        return b""


def once(sdk_object, encode):
    """The message's bytes for a resource or scope, encoded once by the library's own function."""
    encoded = _ENCODED.get(sdk_object)
    if encoded is None:
        encoded = encode(sdk_object).SerializePartialToString()
        if len(_ENCODED) < 64:
            _ENCODED[sdk_object] = encoded
    return encoded


def trace_state(state):
    """A span's trace state's field; the spans of a trace share their root's (immutable) trace
    state, so the last one's bytes are kept."""
    global _LAST_STATE
    if state is None or state is _NO_STATE:
        return b""
    held, encoded = _LAST_STATE
    if held is not state:
        text = ",".join([f"{key}={value}" for key, value in state.items()])
        encoded = field(b"\x1a", text.encode()) if text else b""
        _LAST_STATE = state, encoded
    return encoded


def span_flags(parent):
    flags = 0x100  # SPAN_FLAGS_CONTEXT_HAS_IS_REMOTE_MASK
    if parent and parent.is_remote:
        flags |= 0x200  # SPAN_FLAGS_CONTEXT_IS_REMOTE_MASK
    return flags


def fixed64(tag, number):
    return tag + number.to_bytes(8, "little") if number else b""


def uint32(tag, number):
    return tag + varint(number) if number else b""


def status(value):
    if value is None:
        return b""
    payload = b""
    if value.description:
        payload += field(b"\x12", value.description.encode())
    if value.status_code.value:
        payload += b"\x18" + varint(value.status_code.value)
    return field(b"\x7a", payload)


def event(value):
    payload = fixed64(b"\x09", value.timestamp)
    if value.name:
        payload += field(b"\x12", value.name.encode())
    payload += attributes(b"\x1a", value.attributes)
    return field(b"\x5a", payload + uint32(b"\x20", value.dropped_attributes))


def link(value):
    context = value.context
    payload = b"\x0a\x10" + context.trace_id.to_bytes(16, "big")
    payload += b"\x12\x08" + context.span_id.to_bytes(8, "big")
    payload += attributes(b"\x22", value.attributes)
    payload += uint32(b"\x28", value.dropped_attributes)
    payload += b"\x35" + span_flags(context).to_bytes(4, "little")
    return field(b"\x6a", payload)


def query_attributes(values):
    """A query span's attributes' bytes, encoded once per distinct set of them."""
    try:
        key = tuple(values.items())
        encoded = _QUERY_ATTRIBUTES.get(key)
    except TypeError:  # a value that is not hashable (a list): not cached
        return attributes(b"\x4a", values)
    if encoded is None:
        encoded = attributes(b"\x4a", values)
        if len(_QUERY_ATTRIBUTES) >= _CACHED_QUERIES:
            _QUERY_ATTRIBUTES.clear()  # emptied, then filled again, as the other caches are
        _QUERY_ATTRIBUTES[key] = encoded
    return encoded


def query_span(query):
    """A QuerySpan's bytes, as child_span writes them, all but its ids and times encoded once per
    statement: for a client span without events, status or trace state, as the instrumentations
    end them."""
    context = query._context  # a SpanContext: (trace id, span id, remote, flags, state, valid)
    state = context[4]
    if (
        query._events
        or query._status is not UNSET
        or query._kind is not SpanKind.CLIENT
        or (state is not _NO_STATE and state)
    ):
        return child_span(query, query_attributes(query._attributes))
    name, values, dropped = query._name, query._attributes, query._dropped
    # Its statement's (sqlite.Statement) parts, where its name and attributes are the very ones
    # they were made of: a query's span ends with its statement's clean name and attributes.
    statement = query._statement
    kept = statement.encoded if statement is not None else None
    if kept is not None and kept[0] is values and kept[1] is name and kept[2] == dropped:
        parts = kept[3]
    else:
        parts = statement_parts(query)
        if parts is None:  # a value that is not hashable (a list): not cached
            return child_span(query, query_attributes(values))
        if statement is not None:
            statement.encoded = values, name, dropped, parts
    start, end = query._start_time, query._end_time
    start = b"\x39" + start.to_bytes(8, "little") if start else b""
    end = b"\x41" + end.to_bytes(8, "little") if end else b""
    head, tail = parts
    # Its length first, then its fields: the statement's bytes are copied once, not twice.
    size = 38 + len(head) + len(start) + len(end) + len(tail)  # 38: the three ids and their tags
    return b"".join(
        (
            b"\x12", _VARINTS[size] if size < SMALL else _varint(size),
            b"\x0a\x10", context[0].to_bytes(16, "big"), b"\x12\x08", context[1].to_bytes(8, "big"),
            b"\x22\x08", query._parent[1].to_bytes(8, "big"), head, start, end, tail,
        )
    )  # fmt: skip


def statement_parts(query):
    """A query span's bytes before its start time and after its end time, made once per (name,
    dropped count, attributes); None where an attribute's value cannot be hashed."""
    global _QUERY_PARTS
    try:
        key = (query._name, query._dropped, *query._attributes.items())
        parts = _QUERY_PARTS.get(key)
    except TypeError:
        return None
    if parts is None:
        name = query._name
        parts = (
            (field(b"\x2a", name.encode()) if name else b"") + _CLIENT,
            attributes(b"\x4a", query._attributes) + uint32(b"\x50", query._dropped) + _UNSET
            + b"\x85\x01\x00\x01\x00\x00",
        )  # fmt: skip
        if len(_QUERY_PARTS) >= _CACHED_QUERIES:
            _QUERY_PARTS = {}
        _QUERY_PARTS[key] = parts
    return parts


def child_span(query, encoded_attributes):
    """A ChildSpan's, RootSpan's or QuerySpan's bytes, as span() writes them, read from its
    fields: a span with no links, under a local parent, a remote one or none."""
    context = query._context
    parent = query._parent
    if parent is None:
        parent_id, flags = b"", b"\x85\x01\x00\x01\x00\x00"
    else:
        parent_id = b"\x22\x08" + parent.span_id.to_bytes(8, "big")
        flags = b"\x85\x01\x00\x03\x00\x00" if parent.is_remote else b"\x85\x01\x00\x01\x00\x00"
    parts = [
        b"\x0a\x10", context.trace_id.to_bytes(16, "big"),
        b"\x12\x08", context.span_id.to_bytes(8, "big"),
        trace_state(context.trace_state),
        parent_id,
        field(b"\x2a", query._name.encode()) if query._name else b"",
        _CLIENT if query._kind is SpanKind.CLIENT else uint32(b"\x30", _SPAN_KIND_MAP[query._kind]),
        fixed64(b"\x39", query._start_time),
        fixed64(b"\x41", query._end_time),
        encoded_attributes,
        uint32(b"\x50", query._dropped),
        *[event(value) for value in query._events],
        _UNSET if query._status is UNSET else status(query._status),
        flags,  # the parent is known (or there is none), and remote or local
    ]  # fmt: skip
    return field(b"\x12", b"".join(parts))


def span(sdk_span):
    """A Span's bytes, with its tag in ScopeSpans."""
    if sdk_span.__class__ is QuerySpan:  # encoded once per statement, but ids and times
        return query_span(sdk_span)
    if sdk_span.__class__ in LEAN_SPANS:
        return child_span(sdk_span, attributes(b"\x4a", sdk_span._attributes))
    context = sdk_span.get_span_context()
    parent = sdk_span.parent
    parts = [
        b"\x0a\x10", context.trace_id.to_bytes(16, "big"),
        b"\x12\x08", context.span_id.to_bytes(8, "big"),
        trace_state(context.trace_state),
        b"\x22\x08" + parent.span_id.to_bytes(8, "big") if parent else b"",
        field(b"\x2a", sdk_span.name.encode()) if sdk_span.name else b"",
        uint32(b"\x30", _SPAN_KIND_MAP[sdk_span.kind]),
        fixed64(b"\x39", sdk_span.start_time),
        fixed64(b"\x41", sdk_span.end_time),
        attributes(b"\x4a", plain_attributes(sdk_span)),
        uint32(b"\x50", sdk_span.dropped_attributes),
        *[event(value) for value in sdk_span.events],
        uint32(b"\x60", sdk_span.dropped_events),
        *[link(value) for value in sdk_span.links],
        uint32(b"\x70", sdk_span.dropped_links),
        status(sdk_span.status),
        b"\x85\x01" + span_flags(parent).to_bytes(4, "little"),
    ]  # fmt: skip
    return field(b"\x12", b"".join(parts))


def grouped(sdk_spans):
    """{resource: {scope: [span bytes]}}, in the order the spans come, as the library groups
    them. Spans of one tracer share one resource and one scope object: each object is hashed
    (a resource's hash is a JSON dump of its attributes) once, not for every span."""
    groups = defaultdict(lambda: defaultdict(list))
    lists = {}  # (id(resource), id(scope)) -> the group's list: the objects live while it does
    for sdk_span in sdk_spans:
        resource, scope = sdk_span._resource, sdk_span._instrumentation_scope  # ReadableSpan's
        spans = lists.get((id(resource), id(scope)))
        if spans is None:
            spans = lists[id(resource), id(scope)] = groups[resource][scope or None]
        spans.append(query_span(sdk_span) if sdk_span.__class__ is QuerySpan else span(sdk_span))
    return groups


def encode_spans(sdk_spans):
    """ExportTraceServiceRequest's bytes. Each message's length is summed from its parts' and
    written before them, and all are joined once: the spans' bytes (a query's statement among
    them) are copied into the request once, not once per enclosing message."""
    chunks = []
    for resource, scopes in grouped(sdk_spans).items():
        resource_chunks = [field(b"\x0a", once(resource, _encode_resource))]
        for scope, spans in scopes.items():
            scope_chunks = [field(b"\x0a", once(scope, _encode_instrumentation_scope)), *spans]
            if scope is not None and scope.schema_url:
                scope_chunks.append(field(b"\x1a", scope.schema_url.encode()))
            resource_chunks += [b"\x12", varint(sum(map(len, scope_chunks))), *scope_chunks]
        if resource.schema_url:
            resource_chunks.append(field(b"\x1a", resource.schema_url.encode()))
        chunks += [b"\x0a", varint(sum(map(len, resource_chunks))), *resource_chunks]
    return b"".join(chunks)


class BytesEncodingSpanExporter(OTLPSpanExporter):
    """The OTLP/HTTP span exporter, with encode_spans above in place of the library's: its export
    as the library writes it, encoding aside (its size limit, metrics and client included)."""

    def export(self, spans):
        if self._shutdown:
            _exporter_logger.warning("Exporter already shutdown, ignoring batch")
            return SpanExportResult.FAILURE
        with self._metrics.export_operation(len(spans)) as result:
            try:
                serialized_data = encode_spans(spans)
            except Exception as error:
                _exporter_logger.error("Failed to encode span batch: %s", error)
                result.error = error
                return SpanExportResult.FAILURE
            if _is_request_too_large(serialized_data, self._max_request_size):
                _exporter_logger.warning(
                    "Dropping span batch: serialized size %d bytes exceeds max_request_size "
                    "%d bytes.", len(serialized_data), self._max_request_size,
                )  # fmt: skip
                result.error = RequestPayloadTooLargeError(
                    f"Serialized span request size {len(serialized_data)} bytes exceeds "
                    f"max_request_size {self._max_request_size} bytes."
                )
                return SpanExportResult.FAILURE
            export_result = self._client.export(serialized_data)
            if not export_result.success:
                result.error = export_result.error
                if export_result.status_code is not None:
                    result.error_attrs = {HTTP_RESPONSE_STATUS_CODE: export_result.status_code}
                return SpanExportResult.FAILURE
        return SpanExportResult.SUCCESS
