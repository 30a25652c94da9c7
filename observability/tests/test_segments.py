"""The otel source's segments, built from spans the real OpenTelemetry SDK finished: nesting, the
order spans end in, spans that end after their segment left, and the bound on spans waiting for a
segment that never ends. (test_xray.py checks what arrives at a daemon from a served request.)"""

import json

import pytest
from opentelemetry.trace import SpanKind

from observability.providers.otel.databases import ChildSpanTracerProvider
from observability.providers.xray import segments
from observability.providers.xray.segments import SegmentBuilder


@pytest.fixture
def traced(finished_spans):
    provider, spans = finished_spans
    return provider.get_tracer("test"), spans


def test_spans_nest_as_they_ran_under_the_segment(traced):
    tracer, spans = traced
    with tracer.start_as_current_span("GET /x", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.method", "GET")
        root.set_attribute("http.status_code", 200)
        with tracer.start_as_current_span("outer") as outer:
            outer.set_attribute("aws.xray.metadata.namespace", json.dumps({"key": {"n": 1}}))
            with tracer.start_as_current_span("query", kind=SpanKind.CLIENT) as query:
                query.set_attribute("db.system", "sqlite")
                query.set_attribute("aws.xray.annotations", ("db.system",))
        with tracer.start_as_current_span("second"):
            pass
    [segment] = SegmentBuilder("svc").documents(spans)

    assert segment["name"] == "svc"
    assert segment["id"] == f"{root.get_span_context().span_id:016x}"
    assert "parent_id" not in segment
    assert [s["name"] for s in segment["subsegments"]] == ["outer", "second"]
    outer_doc = segment["subsegments"][0]
    assert outer_doc["metadata"] == {"namespace": {"key": {"n": 1}}}
    [query_doc] = outer_doc["subsegments"]
    assert query_doc["parent_id"] == outer_doc["id"]
    assert query_doc["namespace"] == "remote"
    assert query_doc["annotations"] == {"db_system": "sqlite"}
    assert not {"error", "fault", "throttle"} & set(segment)


def test_spans_in_separate_batches_and_late_ones_still_arrive(traced):
    tracer, spans = traced
    builder = SegmentBuilder("svc")
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER):
        with tracer.start_as_current_span("early"):
            pass
        late = tracer.start_span("late")  # outlives the request
    assert builder.documents(spans[:1]) == []  # "early" waits for its segment
    [segment] = builder.documents(spans[1:])
    assert [s["name"] for s in segment["subsegments"]] == ["early"]
    late.end()
    [alone] = builder.documents(spans[2:])
    assert alone["type"] == "subsegment"
    assert alone["parent_id"] == segment["id"]
    assert alone["trace_id"] == segment["trace_id"]
    assert builder.waiting == {}


def test_spans_whose_segment_never_ends_are_bounded(traced, monkeypatch):
    monkeypatch.setattr(segments, "MAX_WAITING_SPANS", 3)
    tracer, spans = traced
    builder = SegmentBuilder("svc")
    roots = [tracer.start_span(f"root-{i}") for i in range(5)]
    for root in roots:
        with tracer.start_as_current_span("child", context=_context(root)):
            pass
    assert builder.documents(spans) == []
    assert builder.waiting_count == 3
    assert sum(len(group) for group in builder.waiting.values()) == 3


def test_an_exception_is_a_fault_with_its_cause_and_a_429_a_throttle(traced):
    tracer, spans = traced
    with tracer.start_as_current_span("root", kind=SpanKind.SERVER) as root:
        root.set_attribute("http.method", "GET")
        root.set_attribute("http.status_code", 429)
        with pytest.raises(ValueError, match="bad value"), tracer.start_as_current_span("work"):
            raise ValueError("bad value")
    [segment] = SegmentBuilder("svc").documents(spans)
    assert (segment["error"], segment["throttle"]) == (True, True)
    [work] = segment["subsegments"]
    assert work["fault"] is True
    [exception] = work["cause"]["exceptions"]
    assert (exception["type"], exception["message"]) == ("ValueError", "bad value")
    assert exception["stack"][0]["label"].startswith("test_an_exception_is_a_fault")


def _context(span):
    from opentelemetry import trace

    return trace.set_span_in_context(span)


def test_a_segment_is_written_as_the_sdks_serializer_writes_it():
    """The emitter writes with orjson what the SDK's json.dumps(document, default=str) writes."""
    import dataclasses
    import datetime

    from observability.providers.xray.emitter import dumps

    @dataclasses.dataclass
    class Point:
        x: int

    moment = datetime.datetime(2026, 12, 1, 16, 43, 28, tzinfo=datetime.UTC)
    documents = [
        {"name": "ünïcode ✓", "n": 1.5, "tags": ("a", "b"), "nested": {"k": [1, None, True]}},
        {"metadata": {"when": moment, "point": Point(1), 2: "non-string key"}},
        {"big": 2**70},  # beyond orjson's integers: json writes it
    ]
    for document in documents:
        assert json.loads(dumps(document)) == json.loads(json.dumps(document, default=str))


def test_a_span_that_cannot_be_converted_costs_only_its_own_segment(traced):
    from opentelemetry.sdk.trace import ReadableSpan

    tracer, spans = traced
    with tracer.start_as_current_span("odd (name)?", kind=SpanKind.SERVER) as odd:
        odd.set_attribute("http.method", "GET")
        odd.set_attribute("http.status_code", "2xx")  # not a number
    with tracer.start_as_current_span("good"):
        pass
    broken = ReadableSpan(name="never ended", context=spans[0].context)  # no times at all
    odd_doc, good_doc = SegmentBuilder("svc").documents([broken, *spans])
    assert odd_doc["name"] == "svc"  # a request's segment: the service's name
    assert "status" not in odd_doc["http"].get("response", {})
    assert good_doc["name"] == "good"


def test_names_lose_what_x_ray_refuses(traced):
    tracer, spans = traced
    with tracer.start_as_current_span("query (select *)?"):
        pass
    [segment] = SegmentBuilder("svc").documents(spans)
    assert segment["name"] == "query select "


def test_each_segment_names_the_version_of_its_own_service():
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import SpanProcessor, TracerProvider

    builder = SegmentBuilder("svc")
    documents = []

    class Convert(SpanProcessor):
        def on_end(self, span):
            documents.extend(builder.documents([span]))

    for version in ("1.2.3", None, "2.0"):
        attributes = {"service.version": version} if version else {}
        provider = TracerProvider(resource=Resource.create(attributes))
        provider.add_span_processor(Convert())
        with provider.get_tracer("test").start_as_current_span("r", kind=SpanKind.SERVER):
            pass
        provider.shutdown()
    assert [document["service"].get("version") for document in documents] == ["1.2.3", None, "2.0"]
    assert {document["service"]["runtime"] for document in documents} == {"CPython"}


@pytest.fixture(params=["sdk span", "query span"])
def queries(request, finished_spans):
    """The tracer of requests, the one of queries (the SDK's own, or the database
    instrumentations': QuerySpan), and the spans they finished."""
    provider, spans = finished_spans
    tracer = provider.get_tracer("test")
    if request.param == "sdk span":
        return tracer, tracer, spans
    return tracer, ChildSpanTracerProvider(provider).get_tracer("db"), spans


def test_a_query_is_an_sql_subsegment_as_the_sdk_sends_it(queries):
    tracer, database, spans = queries
    with tracer.start_as_current_span("GET /x", kind=SpanKind.SERVER):
        with database.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
            query.set_attributes(
                {
                    "db.system": "postgresql", "db.name": "cruddur", "db.user": "app",
                    "db.statement": "SELECT * FROM t WHERE handle = 'worf' LIMIT 21",
                    "net.peer.name": "db", "net.peer.port": 5432,
                }
            )  # fmt: skip
        with database.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as local:
            local.set_attributes({"db.system": "sqlite", "db.statement": "SELECT 1"})
    [segment] = SegmentBuilder("svc").documents(spans)
    remote, in_process = segment["subsegments"]
    assert remote["name"] == "db"  # the host, as the SDK's Django patching names it
    assert remote["namespace"] == "remote"
    assert remote["sql"] == {
        "database_type": "postgresql",
        "url": "postgresql://app@db:5432/cruddur",
        "user": "app",
        "sanitized_query": "SELECT * FROM t WHERE handle = ? LIMIT ?",
    }
    assert "metadata" not in remote  # what the sql block says is not repeated
    assert in_process["name"] == "sqlite"
    assert in_process["sql"]["sanitized_query"] == "SELECT ?"
    assert in_process["sql"]["database_version"].count(".") == 2


def test_a_querys_subsegment_is_the_same_each_time_and_a_failed_one_has_its_cause(queries):
    """A QuerySpan's subsegment is made from fields kept per statement: the second request's
    must be what the first one's was, its own ids and times aside."""
    tracer, database, spans = queries
    builder = SegmentBuilder("svc")
    made = []
    for _ in range(2):
        with tracer.start_as_current_span("GET /x", kind=SpanKind.SERVER):
            with database.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
                query.set_attributes({"db.system": "sqlite", "db.statement": "SELECT 'a'"})
            with (
                pytest.raises(ValueError, match="locked"),
                database.start_as_current_span("INSERT", kind=SpanKind.CLIENT),
            ):
                raise ValueError("locked")
        [segment] = builder.documents(spans)
        spans.clear()
        made.append(segment["subsegments"])
    (first, failed), (again, failed_again) = made
    ids = {"id", "parent_id", "start_time", "end_time", "trace_id"}
    assert {k: v for k, v in first.items() if k not in ids} == {
        k: v for k, v in again.items() if k not in ids
    }
    assert first["sql"]["sanitized_query"] == "SELECT ?"
    assert first["id"] != again["id"]
    assert first["parent_id"] != again["parent_id"]
    assert first["end_time"] >= first["start_time"]
    assert "fault" not in first
    assert "cause" not in first
    for document in (failed, failed_again):
        assert document["fault"] is True
        assert document["cause"]["exceptions"][0]["message"] == "locked"


def test_a_segment_of_many_queries_sends_its_subsegments_one_by_one(traced):
    """As the SDK streams them past its threshold: one datagram (64 KB) would not hold them."""
    tracer, spans = traced
    with (
        tracer.start_as_current_span("GET /x", kind=SpanKind.SERVER) as root,
        tracer.start_as_current_span("view") as view,
    ):
        for _ in range(segments.STREAMING_THRESHOLD):
            with tracer.start_as_current_span("SELECT", kind=SpanKind.CLIENT) as query:
                query.set_attributes({"db.system": "sqlite", "db.statement": "SELECT 1"})
    segment, *subsegments = SegmentBuilder("svc").documents(spans)
    assert "subsegments" not in segment
    assert len(subsegments) == segments.STREAMING_THRESHOLD + 1
    view_id = f"{view.get_span_context().span_id:016x}"
    assert {(doc["type"], doc["trace_id"]) for doc in subsegments} == {
        ("subsegment", segment["trace_id"])
    }
    assert [doc["parent_id"] for doc in subsegments] == [
        f"{root.get_span_context().span_id:016x}",
        *[view_id] * segments.STREAMING_THRESHOLD,
    ]
    assert all("subsegments" not in doc for doc in subsegments)
