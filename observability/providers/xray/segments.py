"""X-Ray segments built from finished OpenTelemetry spans (the `otel` source): the request is
traced once, by OpenTelemetry, and the same spans become the segment the X-Ray SDK's middleware
would have sent.

A span that starts a trace in this process (no parent, or a remote one) becomes a segment; the
spans under it become its subsegments, nested as they ran. On the request path the processor only
hands each finished span to a background sender; there the spans are grouped, converted and sent
over UDP to the daemon. What came from outside the code is scrubbed as it is converted: the spans'
and exceptions' attributes (of which the http block, annotations, causes are made), span names and
metadata; ids, times and fixed words are not, which halves what scrubbing a segment costs. A child
span or a query's span that was scrubbed as it ended (ChildSpan.is_clean) keeps its attributes.

Span attributes map as the ADOT collector's X-Ray exporter maps them: `aws.xray.metadata.<ns>`
holds a JSON object that becomes the metadata of namespace <ns>; the keys listed in
`aws.xray.annotations` become annotations; other attributes of a subsegment are metadata under
`default`. The server span's http attributes become the segment's http block."""

import collections
import json
import operator
import os
import platform
import re
import secrets

from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import SpanKind, StatusCode

from observability.background import BackgroundSender
from observability.problems import problems
from observability.providers.otel.child_spans import UNSET, ChildSpan, RootSpan
from observability.providers.otel.databases import QuerySpan
from observability.providers.otel.export import plain_attributes
from observability.providers.xray.segment_fields import ROUTE_ANNOTATION
from observability.providers.xray.sql import DATABASE_ATTRIBUTES, database_type, sql_block, sql_name
from observability.scrubbing import process_secrets, scrub, scrub_attributes, scrub_text
from observability.trace_ids import is_placeholder_parent, to_xray

# Spans scrubbed as they ended (ChildSpan.is_clean): their attributes are not scrubbed again.
LEAN_SPANS = (ChildSpan, QuerySpan, RootSpan)
METADATA_PREFIX = "aws.xray.metadata."
ANNOTATIONS = "aws.xray.annotations"
IS_METADATA = operator.methodcaller("startswith", METADATA_PREFIX)
# Attributes the segment's http block (or the trace itself) already carries.
HTTP_ATTRIBUTES = frozenset(
    {
        "http.method", "http.scheme", "http.host", "http.target", "http.url", "http.server_name",
        "http.user_agent", "http.client_ip", "http.status_code", "http.flavor", "http.route",
        "http.response_content_length", "net.host.name", "net.host.port", "net.peer.ip",
        "net.peer.port", "net.peer.name",
    }
)  # fmt: skip
BLOCK_ATTRIBUTES = HTTP_ATTRIBUTES | DATABASE_ATTRIBUTES
# A segment with more subsegments than this sends them as documents of their own, as the SDK
# streams them (its streaming_threshold): a UDP datagram holds 64 KB, and a request of many
# queries (a statement each) would not fit in one.
STREAMING_THRESHOLD = 30
MAX_QUEUED_SPANS = 10000
# Distinct queries whose subsegment fields are kept (SegmentBuilder.query_subsegment).
MAX_CACHED_QUERIES = 1024
# Spans kept waiting for the span that starts their trace here, at most.
MAX_WAITING_SPANS = 10000
# What the SDK takes out of a name (X-Ray refuses them), and X-Ray's longest name.
INVALID_NAME = str.maketrans("", "", "?;*()!$~^<>")
# Whether a name holds one of them: translate() raises and clears a KeyError for every other
# character of the name, which cost more than the rest of a segment's name.
HAS_INVALID_NAME = re.compile(r"[?;*()!$~^<>]").search
MAX_NAME = 200
# Frames of an exception's stack, as the SDK keeps them (its max_trace_back).
MAX_FRAMES = 10
FRAME = re.compile(r'^\s*File "(?P<path>[^"]+)", line (?P<line>\d+), in (?P<label>.+)$')
# Frames of the tracer's own context managers, which the SDK's stacks do not show.
TRACER_FRAMES = f"{os.sep}opentelemetry{os.sep}"
SDK = {"sdk": "opentelemetry for python", "sdk_version": ""}


START_TIME = operator.attrgetter("_start_time")  # ReadableSpan's, without its property


def seconds(nanoseconds):
    return nanoseconds / 1e9


def span_hex(span_id):
    return span_id.to_bytes(8, "big").hex()  # f"{span_id:016x}", in half the time


def is_local_root(span):
    return span.parent is None or span.parent.is_remote


class SegmentBuilder:
    """Turns finished spans into X-Ray documents, in the background thread only."""

    def __init__(self, service, name_for_host=None):
        from opentelemetry.version import __version__

        self.service = service
        self.name_for_host = name_for_host
        self.aws = {"xray": {**SDK, "sdk_version": __version__}}
        self.runtime = {
            "runtime": platform.python_implementation(),
            "runtime_version": platform.python_version(),
        }
        # trace id -> finished spans whose local root has not ended yet
        self.waiting = collections.OrderedDict()
        self.waiting_count = 0
        # Roots already sent, for spans that end after them: trace id -> root span id
        self.sent = collections.OrderedDict()
        # A query's subsegment fields but its ids and times, by its name, kind and attributes:
        # kept until the secrets change, as scrubbing's verdicts are.
        self.query_fields = (None, {})
        # The last resource seen, and the service block made of it (service_block).
        self.service_blocks = (None, None)

    def documents(self, spans):
        """The segment documents (and late subsegments) that these finished spans complete; a
        span that cannot be converted costs its own segment, never the others'."""
        out = []
        for span in spans:
            try:
                self.complete(span, out)
            except Exception:
                problems.warn(
                    ("X-Ray", "convert"), "observability: X-Ray: a span was not converted",
                    exc_info=True,
                )  # fmt: skip
        return out

    def complete(self, span, out):
        """Adds to `out` what `span`'s end completes."""
        # ReadableSpan's fields; its contexts are SpanContexts: (trace id, span id, is remote...)
        trace_id = span._context[0]
        parent = span._parent
        # A query's parent is local; a span with no parent or a remote one starts a segment.
        if span.__class__ is not QuerySpan and (parent is None or parent[2]):
            children = self.waiting.pop(trace_id, [])
            self.waiting_count -= len(children)
            mine, others = self.descendants(span, children)
            if others:
                self.wait(trace_id, others)
            segment = self.segment(span, mine)
            out.append(segment)
            if sum(map(len, mine.values())) > STREAMING_THRESHOLD:
                out.extend(flattened(segment.pop("subsegments")))
            self.remember_sent(trace_id, span)
        elif trace_id in self.sent and trace_id not in self.waiting:
            # Ended after its segment left: sent on its own, under its parent.
            document = self.subsegment(span, [])
            document.update(type="subsegment", trace_id=to_xray(f"{trace_id:032x}"))
            out.append(document)
        else:  # as wait(trace_id, [span]), without its call while nothing overflows
            waiting = self.waiting.get(trace_id)
            if waiting is None:
                self.waiting[trace_id] = [span]
            else:
                waiting.append(span)
            self.waiting_count += 1
            if self.waiting_count > MAX_WAITING_SPANS:
                self.wait(trace_id, [])

    def wait(self, trace_id, spans):
        self.waiting.setdefault(trace_id, []).extend(spans)
        self.waiting_count += len(spans)
        while self.waiting_count > MAX_WAITING_SPANS:
            _, dropped = self.waiting.popitem(last=False)
            self.waiting_count -= len(dropped)
            problems.warn(
                ("X-Ray", "orphans"),
                "observability: X-Ray: %d spans never saw their trace's first span end; dropped",
                len(dropped),
            )  # fmt: skip

    def remember_sent(self, trace_id, span):
        self.sent[trace_id] = span._context[1]
        while len(self.sent) > 1000:
            self.sent.popitem(last=False)

    @staticmethod
    def descendants(root, spans):
        """(the spans under `root`, by parent id; the others)."""
        # Ids read from the SpanContexts, (trace id, span id...), without their properties.
        by_parent = collections.defaultdict(list)
        for span in spans:
            by_parent[span._parent[1]].append(span)  # ReadableSpan's parent
        mine = {}
        stack = [root._context[1]]
        while stack:
            parent_id = stack.pop()
            children = by_parent.pop(parent_id, None)
            if children:
                mine[parent_id] = children
                stack.extend([child._context[1] for child in children])
        others = [span for group in by_parent.values() for span in group]
        return mine, others

    def name(self, span, attributes):
        """A request's segment is named by the service (or its host, by AWS_XRAY_URL's pattern);
        a trace begun outside a request (a command's) by its span."""
        if span._kind is not SpanKind.SERVER:
            return span._name
        host = attributes.get("http.host")
        if self.name_for_host and host:
            return self.name_for_host(host) or self.service
        return self.service

    def segment(self, span, children):
        attributes = plain_attributes(span)
        if not (span.__class__ in LEAN_SPANS and span.is_clean()):  # scrubbed as it ended
            attributes = scrub_attributes(attributes)
        context = span._context  # a SpanContext: (trace id, span id...)
        trace_id = to_xray(f"{context[0]:032x}")
        document = {
            "id": context[1].to_bytes(8, "big").hex(),  # span_hex
            "name": valid_name(self.name(span, attributes)),
            "start_time": span._start_time / 1e9,
            "trace_id": trace_id,
            "in_progress": False,
        }
        parent = span._parent
        if parent is not None and not is_placeholder_parent(parent):
            document["parent_id"] = span_hex(parent[1])
        if "http.method" in attributes:
            document["http"] = http_block(attributes)
        document["aws"] = self.aws
        self.annotate(document, span, attributes, segment=True)
        route = attributes.get("http.route")
        if route:
            document.setdefault("annotations", {})[ROUTE_ANNOTATION] = route
        if children:
            subsegments = self.subsegments(span, children, trace_id)
            if subsegments:
                document["subsegments"] = subsegments
        document["service"] = self.service_block(span._resource)
        document["end_time"] = span._end_time / 1e9
        return document

    def service_block(self, resource):
        """The segment's service block: the runtime, and the resource's service.version."""
        held = self.service_blocks
        if held[0] is not resource:
            version = resource.attributes.get("service.version")
            block = {**self.runtime, "version": version} if version else self.runtime
            self.service_blocks = held = (resource, block)
        return held[1]

    def subsegments(self, span, children, trace_id):
        result = []
        for child in sorted(children.get(span._context[1], ()), key=START_TIME):
            if (
                child.__class__ is QuerySpan
                and not child._events
                and child._context[1] not in children
            ):
                # As subsegment() would make it, in one call, trace id and type in it.
                result.append(self.query_subsegment(child, trace_id))
                continue
            document = self.span_subsegment(child, children, trace_id)
            document.update(trace_id=trace_id, type="subsegment")
            result.append(document)
        return result

    def subsegment(self, span, children, trace_id=None):
        query = span.__class__ is QuerySpan and not span._events
        if query and span._context.span_id not in children:
            return self.query_subsegment(span)
        return self.span_subsegment(span, children, trace_id)

    def span_subsegment(self, span, children, trace_id=None):
        attributes = plain_attributes(span)
        clean = span.__class__ in LEAN_SPANS and span.is_clean()  # scrubbed as it ended
        if not clean:
            attributes = scrub_attributes(attributes)
        database = database_type(attributes)
        # ReadableSpan's fields; its contexts are SpanContexts: (trace id, span id...)
        document = {
            "id": span._context[1].to_bytes(8, "big").hex(),  # span_hex
            "name": valid_name(sql_name(attributes, database) if database else span._name, clean),
            "start_time": span._start_time / 1e9,
            "parent_id": span._parent[1].to_bytes(8, "big").hex(),
            "in_progress": False,
            "namespace": "remote" if span._kind is SpanKind.CLIENT else "local",
        }
        if "http.method" in attributes:
            document["http"] = http_block(attributes)
        if database:
            document["sql"] = sql_block(attributes, database)
        self.annotate(document, span, attributes, segment=False, clean=clean)
        if children:
            trace_id = trace_id or to_xray(f"{span._context[0]:032x}")
            subsegments = self.subsegments(span, children, trace_id)
            if subsegments:
                document["subsegments"] = subsegments
        document["end_time"] = span._end_time / 1e9
        return document

    def query_subsegment(self, span, trace_id=None):
        """A query's subsegment (a QuerySpan without exception events or spans under it): what
        subsegment() makes of it, its name, sql block and flags made once per statement, with its
        type and `trace_id`."""
        secrets = process_secrets()
        cacheable = span._kind is SpanKind.CLIENT and span._status is UNSET  # as instrumentations'
        # Its statement's (sqlite.Statement) fields, where this builder made them of its very
        # name and attributes under these secrets: spans of a statement end with the same ones.
        statement = span._statement
        kept = statement.subsegment if cacheable and statement is not None else None
        if (
            kept is not None
            and kept[0] is self
            and kept[1] is secrets
            and kept[2] is span._attributes
            and kept[3] is span._name
        ):
            fields = kept[4]
        else:
            fields = self.cached_query_fields(span, secrets) if cacheable else None
            if fields is None:
                fields = self.query_fields_of(span)
            elif statement is not None:
                statement.subsegment = self, secrets, span._attributes, span._name, fields
        # As span_hex and seconds write them; its contexts are SpanContexts: (trace id, span id...)
        return {
            "id": span._context[1].to_bytes(8, "big").hex(),
            "start_time": span._start_time / 1e9,
            "parent_id": span._parent[1].to_bytes(8, "big").hex(),
            **fields,
            "end_time": span._end_time / 1e9,
            "trace_id": trace_id,  # None: the caller's to set
            "type": "subsegment",
        }

    def cached_query_fields(self, span, secrets):
        """A query's subsegment fields but its ids and times, made once per (name, attributes)
        under these secrets; None where an attribute's value cannot be hashed."""
        held_by, cache = self.query_fields
        if held_by is not secrets or len(cache) >= MAX_CACHED_QUERIES:
            self.query_fields = held_by, cache = secrets, {}
        try:
            key = (span._name, tuple(span._attributes.items()))
            fields = cache.get(key)
        except TypeError:  # a list, say: not cached
            return None
        if fields is None:
            cache[key] = fields = self.query_fields_of(span)
        return fields

    def query_fields_of(self, span):
        """What subsegment() makes of a query's span, less its ids and times."""
        fields = self.span_subsegment(span, {})
        for name in ("id", "start_time", "parent_id", "end_time"):
            del fields[name]
        return fields

    def annotate(self, document, span, attributes, segment, clean=False):
        """Metadata, annotations, the error flags and the cause. Metadata made of `clean`
        attributes alone (the default namespace's; not a namespace's JSON, whose object may hold
        what its text did not show) is as scrub() would leave it."""
        metadata, annotations = attribute_fields(attributes, defaults=not segment)
        if metadata:
            plain = clean and metadata.keys() == {"default"}
            document["metadata"] = metadata if plain else scrub(metadata)
        if annotations:
            document["annotations"] = annotations
        cause = exception_cause(span) if span._events else None
        if cause:
            document["cause"] = cause
        status = attributes.get("http.status_code")
        flags = status_flags(status) if status is not None else None
        if flags:
            document.update(flags)
        elif span._status.status_code is StatusCode.ERROR:
            document["fault"] = True


def flattened(subsegments):
    """Subsegment documents one by one, each without the ones under it (they name their parent)."""
    for document in subsegments:
        children = document.pop("subsegments", ())
        yield document
        yield from flattened(children)


def attribute_fields(attributes, defaults):
    """(metadata, annotations) from a span's attributes."""
    metadata = {}
    annotated = attributes.get(ANNOTATIONS)
    annotated = set(annotated) if annotated else ()
    if not (defaults or annotated or any(map(IS_METADATA, attributes))):
        return metadata, {}  # a segment's attributes, asked without a Python call per key
    annotations = {}
    for key, value in attributes.items():
        if key.startswith(METADATA_PREFIX):
            namespace = key[len(METADATA_PREFIX) :]
            try:
                metadata[namespace] = json.loads(value) if isinstance(value, str) else value
            except (ValueError, RecursionError):
                metadata[namespace] = value
        elif annotated and key in annotated:
            annotations[re.sub(r"\W", "_", key)] = value if is_scalar(value) else str(value)
        elif defaults and key not in BLOCK_ATTRIBUTES and key != ANNOTATIONS:
            plain = list(value) if isinstance(value, tuple) else value
            metadata.setdefault("default", {})[key] = plain
    return metadata, annotations


def is_scalar(value):
    return isinstance(value, (str, bool, int, float))


def http_block(attributes):
    """The http block the SDK's middleware writes, from the server span's attributes."""
    request = {}
    host = attributes.get("http.host") or attributes.get("http.server_name")
    if "http.url" in attributes:
        request["url"] = attributes["http.url"]
    elif host:
        scheme, target = attributes.get("http.scheme", "http"), attributes.get("http.target", "")
        request["url"] = f"{scheme}://{host}{target}"
    request["method"] = attributes["http.method"]
    if "http.user_agent" in attributes:
        request["user_agent"] = attributes["http.user_agent"]
    if "http.client_ip" in attributes:
        request["client_ip"] = attributes["http.client_ip"]
        request["x_forwarded_for"] = True
    elif "net.peer.ip" in attributes:
        request["client_ip"] = attributes["net.peer.ip"]
    block = {"request": request}
    response = {}
    status = as_int(attributes.get("http.status_code"))
    if status is not None:
        response["status"] = status
    length = as_int(attributes.get("http.response_content_length"))
    if length is not None:
        response["content_length"] = length
    if response:
        block["response"] = response
    return block


def as_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def valid_name(name, clean=False):
    """A span's name as X-Ray takes it: scrubbed (unless it is `clean` already), without the
    characters the SDK removes, at most 200 characters."""
    name = str(name) if clean else scrub_text(str(name))
    if HAS_INVALID_NAME(name):
        name = name.translate(INVALID_NAME)
    return name[:MAX_NAME] or "-"


def status_flags(status):
    """X-Ray's flags for an HTTP status, as the SDK sets them."""
    if status is None:  # a span of no HTTP exchange: most subsegments (no exception raised)
        return {}
    try:
        status = int(status)
    except (TypeError, ValueError):
        return {}
    if status == 429:
        return {"error": True, "throttle": True}
    if 400 <= status < 500:
        return {"error": True}
    if status >= 500:
        return {"fault": True}
    return {}


def exception_cause(span):
    """X-Ray's cause block from the span's exception events, or None."""
    exceptions = []
    for event in span.events:
        if event.name != "exception":
            continue
        attributes = scrub_attributes(plain_attributes(event))
        exceptions.append(
            {
                "id": secrets.token_hex(8),
                "message": attributes.get("exception.message", ""),
                "type": str(attributes.get("exception.type", "")).rpartition(".")[2],
                "remote": False,
                "stack": stack(attributes.get("exception.stacktrace", "")),
            }
        )
    if not exceptions:
        return None
    return {"working_directory": os.getcwd(), "exceptions": exceptions}


def stack(text, limit=MAX_FRAMES):
    """The innermost frames of a formatted traceback, as X-Ray's stack entries in the SDK's
    order (the traceback's)."""
    frames = []
    for line in str(text).splitlines():
        match = FRAME.match(line)
        if match and TRACER_FRAMES not in match["path"]:
            frames.append(
                {
                    "path": os.path.basename(match["path"]),
                    "line": int(match["line"]),
                    "label": match["label"],
                }
            )
    return frames[-limit:]


class SegmentProcessor(SpanProcessor):
    """Hands each finished, sampled span to a background thread that sends the segments they
    complete through `send(document)`."""

    def __init__(self, builder, send, max_queued=MAX_QUEUED_SPANS):
        self.builder = builder
        self.send = send
        self.sender = BackgroundSender("X-Ray", self.send_spans, max_queued, batched=True)
        # What on_end does with a span of a sampled trace (ChildSpanTracer.processors).
        self.on_end_sampled = self.sender.put

    def on_end(self, span):
        if span.context.trace_flags.sampled:
            self.sender.put(span)

    def send_spans(self, spans):
        for document in self.builder.documents(spans):
            try:
                self.send(document)
            except Exception:
                problems.warn(
                    ("X-Ray", "send"), "observability: X-Ray: a segment was not sent",
                    exc_info=True,
                )  # fmt: skip

    def force_flush(self, timeout_millis=30000):
        self.sender.flush(timeout_millis / 1000)
        return True

    def shutdown(self):
        self.sender.flush(1.0)
