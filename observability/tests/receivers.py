"""Local endpoints in the telemetry backends' places, started by the tests: what the real SDKs
send arrives here and is decoded, so tests assert on what arrived.

- OtlpReceiver: OTLP/HTTP traces and metrics (protobuf), as Honeycomb or a collector would
  receive them.
- SigV4OtlpReceiver: the same, taken only when SigV4-signed, as X-Ray's OTLP endpoint takes them.
- XRayDaemon: a UDP socket in the X-Ray daemon's place.
- RollbarApi: an HTTP receiver in Rollbar's API's place.
- XRayControlPlane: an HTTP receiver for X-Ray's group and sampling-rule API (moto lacks it).
- MotoServer: moto's server, for CloudWatch Logs.
"""

import gzip
import hmac
import json
import socket
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from google.protobuf.json_format import MessageToDict
from opentelemetry.proto.collector.metrics.v1.metrics_service_pb2 import (
    ExportMetricsServiceRequest,
    ExportMetricsServiceResponse,
)
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)


def wait_for(condition, timeout=15.0, interval=0.05):
    """Poll `condition` until it returns something truthy; that value, or None at the timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = condition()
        if result:
            return result
        time.sleep(interval)
    return None


class HttpReceiver:
    """A threaded HTTP server on 127.0.0.1 that records each request; subclasses answer them."""

    def __init__(self):
        self.requests = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                record = {"path": self.path, "headers": dict(self.headers), "body": body}
                with receiver.lock:
                    receiver.requests.append(record)
                status, content_type, payload = receiver.answer(record)
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", getattr(self, "port", 0)), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server.server_port}"

    def answer(self, record):
        return 200, "application/json", b"{}"

    def raw_bytes(self, except_headers=()):
        """Everything that arrived, headers and bodies, as bytes: for searching for secrets.
        `except_headers` (any case) are left out: where a backend takes its own credential."""
        skip = {name.lower() for name in except_headers}
        with self.lock:
            return b"\n".join(
                json.dumps(
                    {k: v for k, v in r["headers"].items() if k.lower() not in skip}
                ).encode()
                + b"\n"
                + r["body"]
                for r in self.requests
            )

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


# OTLP/HTTP's Content-Encoding values, as the exporter's compression setting makes them.
DECOMPRESS = {"gzip": gzip.decompress, "deflate": zlib.decompress}


def decoded(record, message_class):
    """A request's body as the protobuf message it carries, and its headers (lower-cased)."""
    headers = {k.lower(): v for k, v in record["headers"].items()}
    body = DECOMPRESS.get(headers.get("content-encoding"), bytes)(record["body"])
    return message_class.FromString(body), headers


class OtlpReceiver(HttpReceiver):
    """Receives OTLP/HTTP protobuf exports: metrics on /v1/metrics, traces on any other path."""

    METRICS_PATH = "/v1/metrics"

    def answer(self, record):
        if record["path"] == self.METRICS_PATH:
            response = ExportMetricsServiceResponse()
        else:
            response = ExportTraceServiceResponse()
        return 200, "application/x-protobuf", response.SerializeToString()

    def exports(self):
        """The requests whose bodies are taken as exports: here, every one."""
        with self.lock:
            return list(self.requests)

    def metric_points(self):
        """Every metric data point taken, as dicts: the metric's name, unit, kind (sum or
        histogram), temporality, service and scope, and the point's attributes and values."""
        points = []
        for record in self.exports():
            if record["path"] != self.METRICS_PATH:
                continue
            export, headers = decoded(record, ExportMetricsServiceRequest)
            for resource_metrics in export.resource_metrics:
                resource = {
                    a.key: a.value.string_value for a in resource_metrics.resource.attributes
                }
                for scope_metrics in resource_metrics.scope_metrics:
                    for metric in scope_metrics.metrics:
                        points += metric_points(metric, scope_metrics.scope.name, resource, headers)
        return points

    def spans(self):
        """Every span taken, as dicts with the service's name and version and the export's
        headers."""
        spans = []
        for record in self.exports():
            if record["path"] == self.METRICS_PATH:
                continue
            export, headers = decoded(record, ExportTraceServiceRequest)
            for resource_spans in export.resource_spans:
                resource = {a.key: a.value.string_value for a in resource_spans.resource.attributes}
                for scope_spans in resource_spans.scope_spans:
                    for span in scope_spans.spans:
                        spans.append(
                            {
                                "name": span.name,
                                "scope": scope_spans.scope.name,
                                "service": resource.get("service.name"),
                                "version": resource.get("service.version"),
                                "trace_id": span.trace_id.hex(),
                                "span_id": span.span_id.hex(),
                                "parent_span_id": span.parent_span_id.hex(),
                                "kind": span.kind,
                                "attributes": {
                                    a["key"]: next(iter(a["value"].values()), None)
                                    for a in MessageToDict(span).get("attributes", [])
                                },
                                "headers": headers,
                            }
                        )
        return spans


def metric_points(metric, scope, resource, headers):
    """The data points of one decoded metric, as OtlpReceiver.metric_points describes them."""
    kind = metric.WhichOneof("data")
    data = getattr(metric, kind)
    found = []
    for point in data.data_points:
        values = {"value": point.as_int or point.as_double} if kind in ("sum", "gauge") else {
            "count": point.count, "sum": point.sum, "bucket_counts": list(point.bucket_counts),
            "explicit_bounds": list(point.explicit_bounds), "min": point.min, "max": point.max,
        }  # fmt: skip
        found.append({
            "name": metric.name, "unit": metric.unit, "kind": kind, "scope": scope,
            "temporality": getattr(data, "aggregation_temporality", None),
            "monotonic": getattr(data, "is_monotonic", None),
            "service": resource.get("service.name"), "version": resource.get("service.version"),
            "headers": headers, "start": point.start_time_unix_nano, "end": point.time_unix_nano,
            "attributes": {a.key: a.value.string_value for a in point.attributes}, **values,
        })  # fmt: skip
    return found


class SigV4OtlpReceiver(OtlpReceiver):
    """X-Ray's OTLP endpoint: it takes an export on /v1/traces only when the request's SigV4
    Authorization is the one its credentials make of the request as it arrived, recomputed here
    with botocore's signer at the request's X-Amz-Date; anything else gets 403, as from AWS, and
    is counted as refused."""

    PATH = "/v1/traces"
    # Signed in every request taken: without them the signature would not cover what it must.
    MUST_SIGN = {"host", "x-amz-date", "content-type"}

    def __init__(self, access_key="testing", secret_key="testing", session_token=None):
        super().__init__()
        self.credentials = Credentials(access_key, secret_key, session_token)
        self.region, self.service = "us-east-1", "xray"

    def answer(self, record):
        record["taken"] = record["path"] == self.PATH and self.signature_verifies(record)
        if record["taken"]:
            return super().answer(record)
        message = {"message": "The request signature we calculated does not match"}
        return 403, "application/json", json.dumps(message).encode()

    def exports(self):
        return [record for record in super().exports() if record.get("taken")]

    @property
    def refused(self):
        """How many requests got 403."""
        with self.lock:
            return sum(1 for record in self.requests if record.get("taken") is False)

    def signature_verifies(self, record):
        headers = {name.lower(): value for name, value in record["headers"].items()}
        authorization = headers.get("authorization", "")
        signed = set(authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";"))
        token = self.credentials.token
        if not self.MUST_SIGN.issubset(signed) or (token and "x-amz-security-token" not in signed):
            return False
        sent_token = headers.get("x-amz-security-token", "")
        if not hmac.compare_digest(sent_token.encode(), (token or "").encode()):
            return False
        request = AWSRequest(
            method="POST",
            url=f"http://{headers.get('host', '')}{record['path']}",
            data=record["body"],
            headers={name: headers[name] for name in signed if name in headers},
        )
        request.context["timestamp"] = headers.get("x-amz-date", "")
        signer = SigV4Auth(self.credentials, self.service, self.region)
        signature = signer.signature(
            signer.string_to_sign(request, signer.canonical_request(request)), request
        )
        expected = (
            f"AWS4-HMAC-SHA256 Credential={signer.scope(request)}, "
            f"SignedHeaders={signer.signed_headers(signer.headers_to_sign(request))}, "
            f"Signature={signature}"
        )
        return hmac.compare_digest(expected.encode(), authorization.encode())


class RollbarApi(HttpReceiver):
    """Receives Rollbar items on <endpoint>/item/ and answers as Rollbar does."""

    @property
    def endpoint(self):
        return f"{self.url}/api/1/"

    def answer(self, record):
        return 200, "application/json", b'{"err": 0, "result": {"id": null, "uuid": "x"}}'

    def items(self):
        with self.lock:
            return [json.loads(r["body"]) for r in self.requests if r["path"].endswith("/item/")]


class XRayControlPlane(HttpReceiver):
    """Keeps X-Ray groups and sampling rules the way the service does, for boto3's xray client."""

    def __init__(self):
        super().__init__()
        self.groups, self.rules = {}, {}

    def answer(self, record):
        body = json.loads(record["body"] or b"{}")
        action = record["path"].strip("/")
        result = getattr(self, f"on_{action}", None)
        if result is None:
            return 400, "application/json", json.dumps({"message": f"no {action}"}).encode()
        status, payload = result(body)
        return status, "application/json", json.dumps(payload).encode()

    def on_Groups(self, body):
        return 200, {"Groups": list(self.groups.values())}

    def on_CreateGroup(self, body):
        if body["GroupName"] in self.groups:
            return 400, {"__type": "InvalidRequestException", "message": "Group already exists"}
        self.groups[body["GroupName"]] = body
        return 200, {"Group": body}

    def on_UpdateGroup(self, body):
        self.groups[body["GroupName"]].update(body)
        return 200, {"Group": self.groups[body["GroupName"]]}

    def on_GetSamplingRules(self, body):
        records = [{"SamplingRule": rule} for rule in self.rules.values()]
        return 200, {"SamplingRuleRecords": records}

    def on_CreateSamplingRule(self, body):
        rule = body["SamplingRule"]
        if rule["RuleName"] in self.rules:
            return 400, {"__type": "InvalidRequestException", "message": "Rule already exists"}
        self.rules[rule["RuleName"]] = rule
        return 200, {"SamplingRuleRecord": {"SamplingRule": rule}}

    def on_UpdateSamplingRule(self, body):
        update = body["SamplingRuleUpdate"]
        self.rules[update["RuleName"]].update(update)
        return 200, {"SamplingRuleRecord": {"SamplingRule": self.rules[update["RuleName"]]}}


class SamplingApi(HttpReceiver):
    """The daemon's TCP side: it serves the sampling API (here, with no centralized rules)."""

    def __init__(self, port):
        self.port = port
        super().__init__()

    def answer(self, record):
        if record["path"] == "/GetSamplingRules":
            return 200, "application/json", b'{"SamplingRuleRecords": []}'
        targets = b'{"SamplingTargetDocuments": [], "UnprocessedStatistics": []}'
        return 200, "application/json", targets


class XRayDaemon:
    """A UDP socket where the daemon would listen; decodes the segment documents sent to it. On
    the same port over TCP it answers the sampling API, as the daemon does."""

    def __init__(self):
        self.socket, self.sampling = self.bind_both()
        self.socket.settimeout(0.2)
        self.datagrams = []
        self.running = True
        self.thread = threading.Thread(target=self.receive, daemon=True)

    @staticmethod
    def bind_both():
        """A UDP socket and a TCP sampling API on one free port number."""
        for _ in range(20):
            udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            udp.bind(("127.0.0.1", 0))
            try:
                return udp, SamplingApi(udp.getsockname()[1])
            except OSError:
                udp.close()
        raise RuntimeError("no port free for both UDP and TCP")

    @property
    def address(self):
        return f"127.0.0.1:{self.sampling.port}"

    def receive(self):
        while self.running:
            try:
                data, _ = self.socket.recvfrom(65535)
            except TimeoutError:
                continue
            except OSError:
                return
            self.datagrams.append(data)

    def segments(self):
        """Each document as sent: a JSON header line, then the segment or subsegment."""
        documents = []
        for datagram in list(self.datagrams):
            header, _, body = datagram.partition(b"\n")
            assert json.loads(header) == {"format": "json", "version": 1}
            documents.append(json.loads(body))
        return documents

    def raw_bytes(self):
        return b"\n".join(self.datagrams)

    def __enter__(self):
        self.thread.start()
        self.sampling.__enter__()
        return self

    def __exit__(self, *exc):
        self.running = False
        self.socket.close()
        self.sampling.__exit__()


class MotoServer:
    """moto's server on a free port of 127.0.0.1 (CloudWatch Logs and others)."""

    def __init__(self):
        from moto.server import ThreadedMotoServer

        from activities.tests.live_server import free_port

        self.port = free_port()
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    def logs_client(self):
        import boto3

        return boto3.client(
            "logs", endpoint_url=self.url, region_name="us-east-1",
            aws_access_key_id="testing", aws_secret_access_key="testing",
        )  # fmt: skip

    def log_messages(self, group):
        """Every message in every stream of `group`."""
        client = self.logs_client()
        try:
            streams = client.describe_log_streams(logGroupName=group)["logStreams"]
        except client.exceptions.ResourceNotFoundException:
            return []
        return [
            event["message"]
            for stream in streams
            for event in client.get_log_events(
                logGroupName=group, logStreamName=stream["logStreamName"], startFromHead=True
            )["events"]
        ]

    def emf_documents(self, group):
        """The messages of `group` that are Embedded Metric Format documents, decoded."""
        documents = []
        for message in self.log_messages(group):
            if message.startswith("{"):
                document = json.loads(message)
                documents += [document] if "_aws" in document else []
        return documents

    def __enter__(self):
        import requests

        self.server.start()
        # moto's backends live in this process and outlast a server: start each test empty.
        requests.post(f"{self.url}/moto-api/reset", timeout=10).raise_for_status()
        return self

    def __exit__(self, *exc):
        self.server.stop()


class FailingHttp(HttpReceiver):
    """An endpoint that answers every request with `status` (500, or 429 for throttling) after
    `delay` seconds."""

    def __init__(self, status=500, delay=0.0):
        super().__init__()
        self.status, self.delay = status, delay

    def answer(self, record):
        time.sleep(self.delay)
        body = json.dumps({"__type": "ThrottlingException", "message": "slow down"}).encode()
        return self.status, "application/json", body


class BlackHole:
    """An address that takes TCP connections and UDP datagrams and never answers either."""

    def __init__(self):
        self.tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.tcp.bind(("127.0.0.1", 0))
        self.port = self.tcp.getsockname()[1]
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.held = []
        self.running = True
        self.thread = threading.Thread(target=self.hold, daemon=True)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self):
        return f"127.0.0.1:{self.port}"

    def hold(self):
        self.tcp.settimeout(0.2)
        while self.running:
            try:
                connection, _ = self.tcp.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def __enter__(self):
        self.tcp.listen(128)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.running = False
        for connection in self.held:
            connection.close()
        self.tcp.close()
        self.udp.close()
