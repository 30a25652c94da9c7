"""AWS X-Ray, from one of two sources (OBSERVABILITY_XRAY_SOURCE):

- `otel`: segments built from the request's OpenTelemetry spans (segments.py), sent over UDP to
  the daemon, or the spans themselves to X-Ray's OTLP endpoint, SigV4-signed (transport `otlp`);
  the default whenever the otel provider is on too, so a request is traced once;
- `sdk`: the X-Ray SDK's Django middleware and recorder, as the bootcamp wired it, segments sent
  over UDP to the daemon; the default when X-Ray is on alone. The SDK is in maintenance until its
  end of support on 2027-02-25 (check I020 says so).

Sampling by the rule in aws/json/xray.json, unless the otel provider's sampler decides."""

import json
import os
import re
from pathlib import Path

from django.conf import settings
from django.core.checks import WARNING, Info, Warning

from observability.conf import as_bool, conf
from observability.providers.base import Provider

# The daemon address forms the SDK accepts: host:port, or "tcp:host:port udp:host:port".
DAEMON_ADDRESS = re.compile(
    r"^([^\s:]+:\d+|tcp:[^\s:]+:\d+ udp:[^\s:]+:\d+|udp:[^\s:]+:\d+ tcp:[^\s:]+:\d+)$"
)


def valid_daemon_address(value):
    return bool(DAEMON_ADDRESS.match(str(value)))


SOURCES = ("otel", "sdk")
TRANSPORTS = ("udp", "otlp")
SDK_END_OF_SUPPORT = "2027-02-25"


def xray_source(options=None):
    """The source in use: as set (lowercased), else otel when the otel provider is on too or the
    transport is otlp (which only that source can send by), else sdk."""
    options = conf.xray if options is None else options
    chosen = str(options.get("source") or "").strip().lower()
    if chosen:
        return chosen
    return "otel" if conf.enabled("otel") or xray_transport(options) == "otlp" else "sdk"


def xray_transport(options=None):
    options = conf.xray if options is None else options
    return str(options.get("transport") or "udp").strip().lower()


def prepare_sdk_environment(enabled):
    """The views import the X-Ray SDK whether X-Ray is on or off, and the SDK reads the daemon
    address when its core is first imported: a malformed AWS_XRAY_DAEMON_ADDRESS would make that
    import raise and stop the app, so check W020 names it and it is dropped here. With X-Ray off,
    the SDK's own switch (its light top-level package, not the recorder) turns it off, so the
    views' calls are silent no-ops and nothing is sent."""
    if not valid_daemon_address(conf.xray["daemon_address"]):
        os.environ.pop("AWS_XRAY_DAEMON_ADDRESS", None)
    from aws_xray_sdk import global_sdk_config

    global_sdk_config.set_sdk_enabled(enabled)


def load_rules_file(path):
    """The Group and SamplingRule of the rules file (create-group/create-sampling-rule data)."""
    data = json.loads(Path(path).read_text())
    return data["Group"], data["SamplingRule"]


def local_sampling_rules(rule):
    """The SDK's local sampling rules (version 2) made from a centralized SamplingRule."""
    return {
        "version": 2,
        "rules": [
            {
                "description": rule["RuleName"],
                "host": rule["Host"],
                "http_method": rule["HTTPMethod"],
                "url_path": rule["URLPath"],
                "fixed_target": rule["ReservoirSize"],
                "rate": rule["FixedRate"],
            }
        ],
        "default": {"fixed_target": 1, "rate": rule["FixedRate"]},
    }


def rules_path():
    return conf.xray["rules_file"] or Path(settings.BASE_DIR) / "aws" / "json" / "xray.json"


class XRayProvider(Provider):
    """Sends a segment per sampled request to the X-Ray daemon."""

    identifier = "xray"
    title = "AWS X-Ray"

    @classmethod
    def prepare(cls, enabled):
        # With the otel source the SDK stays off: the views' SDK calls are silent no-ops.
        prepare_sdk_environment(enabled and xray_source() == "sdk")

    @staticmethod
    def rules():
        """The Group and SamplingRule of the rules file (for `manage.py xray_resources`)."""
        return load_rules_file(rules_path())

    def __init__(self):
        super().__init__()
        self.emitter = None
        self.processor = None

    @property
    def source(self):
        return xray_source(self.options)

    @property
    def transport(self):
        return xray_transport(self.options)

    @property
    def rules_apply(self):
        """Whether the rules file samples: with the SDK, or for the otel source without the otel
        provider's sampler."""
        return self.source == "sdk" or not conf.enabled("otel")

    def start(self):
        if self.source == "otel":
            self.start_otel_source()
        else:
            self.start_sdk()

    def start_otel_source(self):
        from observability.providers.otel.tracing import tracer_provider
        from observability.providers.registry import provider

        otel = provider("otel") if conf.enabled("otel") else None
        sampler = otel.sampler() if otel is not None and otel.active else self.rules_sampler()
        self.processor = self.span_processor()
        tracer_provider(sampler).add_span_processor(self.processor)

    def rules_sampler(self):
        from observability.providers.otel.propagation import request_sampler
        from observability.providers.xray.sampling import XRayRulesSampler

        _, rule = load_rules_file(rules_path())
        return request_sampler(root=XRayRulesSampler(local_sampling_rules(rule), conf.service_name))

    def span_processor(self, synchronous=False):
        """What sends the otel source's spans: segments to the daemon over UDP, or the spans to
        X-Ray's OTLP endpoint, SigV4-signed."""
        if self.transport == "otlp":
            from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor

            processor = SimpleSpanProcessor if synchronous else BatchSpanProcessor
            return processor(self.otlp_exporter())
        from observability.providers.xray.emitter import BackgroundUDPEmitter
        from observability.providers.xray.segments import SegmentBuilder, SegmentProcessor

        self.emitter = BackgroundUDPEmitter(self.options["daemon_address"])
        builder = SegmentBuilder(conf.service_name, self.name_for_host())
        return SegmentProcessor(builder, self.emitter.send_document)

    def otlp_exporter(self):
        from observability.providers.otel import EXPORT_TIMEOUT
        from observability.providers.otel.encoding import BytesEncodingSpanExporter
        from observability.providers.otel.export import GuardedSpanExporter
        from observability.providers.otel.sigv4 import signed_session, xray_otlp_endpoint

        region = self.options["region"]
        exporter = BytesEncodingSpanExporter(
            endpoint=xray_otlp_endpoint(region, self.options["endpoint_url"]),
            session=signed_session(region),
            timeout=EXPORT_TIMEOUT,
        )  # fmt: skip
        return GuardedSpanExporter(exporter)

    def name_for_host(self):
        """The segment's name for a request's host: the host where it matches AWS_XRAY_URL's
        pattern (the SDK's dynamic naming), else None (the service's name)."""
        pattern = self.options["dynamic_naming"]
        if not pattern:
            return None
        from aws_xray_sdk.core.utils.search_pattern import wildcard_match

        return lambda host: host if wildcard_match(pattern, host) else None

    def start_sdk(self):
        from aws_xray_sdk import global_sdk_config
        from aws_xray_sdk.core import xray_recorder
        from aws_xray_sdk.core.sampling.local.sampler import LocalSampler

        _, rule = load_rules_file(rules_path())
        rules = local_sampling_rules(rule)
        from observability.providers.xray.emitter import BackgroundUDPEmitter

        self.emitter = BackgroundUDPEmitter(self.options["daemon_address"])
        options = {
            "emitter": self.emitter,
            "service": conf.service_name,
            "daemon_address": self.options["daemon_address"],
            "context_missing": "LOG_ERROR",
            "sampling": True,
            "sampling_rules": rules,
            "plugins": (),
        }
        if as_bool(self.options["centralized_sampling"]) is False:
            options["sampler"] = LocalSampler(rules)
        if self.options["dynamic_naming"]:
            options["dynamic_naming"] = self.options["dynamic_naming"]
        global_sdk_config.set_sdk_enabled(True)
        xray_recorder.configure(**options)
        if conf.database_spans_on():
            from observability.providers.xray.databases import patch_databases

            patch_databases()

    def outer_middleware(self):
        if self.source != "otel":
            return []
        from observability.providers.otel.tracing import server_span_middleware

        return server_span_middleware()

    def middleware(self):
        if self.source == "otel":
            return []  # the segment is built from the spans, after the request
        from aws_xray_sdk.ext.django.middleware import XRayMiddleware

        from observability.providers.xray.segment_fields import SegmentFieldsMiddleware

        return [XRayMiddleware, SegmentFieldsMiddleware]

    def settings_for_status(self):
        values = super().settings_for_status()
        chosen = "set" if self.options["source"] else "default"
        values["source"] = f"{self.source} ({chosen})"
        return values

    def source_checks(self):
        source, transport = self.source, self.transport
        if source not in SOURCES:
            return [
                Warning(
                    f"OBSERVABILITY_XRAY_SOURCE {self.options['source']!r} is not otel or sdk.",
                    hint="Set it to otel (segments from the OpenTelemetry spans) or sdk (the "
                    "X-Ray SDK's middleware), or unset it for the default.",
                    id="observability.W023",
                )
            ]
        if transport not in TRANSPORTS:
            return [
                Warning(
                    f"OBSERVABILITY_XRAY_TRANSPORT {transport!r} is neither udp nor otlp.",
                    hint="Set it to udp (the daemon, the default) or otlp (X-Ray's OTLP endpoint).",
                    id="observability.W024",
                )
            ]
        if transport == "otlp" and source == "sdk":
            return [
                Warning(
                    "OBSERVABILITY_XRAY_TRANSPORT is otlp, which the X-Ray SDK cannot send by.",
                    hint="Set OBSERVABILITY_XRAY_SOURCE=otel, or the transport to udp.",
                    id="observability.W025",
                )
            ]
        if transport == "otlp" and not self.options["region"]:
            return [
                Warning(
                    "OBSERVABILITY_XRAY_TRANSPORT is otlp, and no region names X-Ray's endpoint.",
                    hint="Set AWS_REGION (or AWS_DEFAULT_REGION), e.g. us-east-1.",
                    id="observability.W026",
                )
            ]
        if transport == "otlp" and not aws_credentials_found():
            return [
                Warning(
                    "OBSERVABILITY_XRAY_TRANSPORT is otlp, and no AWS credentials were found to "
                    "sign its requests with.",
                    hint="Give the process credentials as for any AWS SDK: AWS_ACCESS_KEY_ID and "
                    "AWS_SECRET_ACCESS_KEY, a profile, or a task or instance role.",
                    id="observability.W027",
                )
            ]
        if source == "sdk" and not conf.enabled("otel"):
            return [
                Info(
                    "X-Ray segments come from the X-Ray SDK, which AWS keeps in maintenance "
                    f"(security fixes only) until its end of support on {SDK_END_OF_SUPPORT}.",
                    hint="Set OBSERVABILITY_XRAY_SOURCE=otel to build them from OpenTelemetry "
                    "spans instead, as AWS's migration guide advises (see the README).",
                    id="observability.I020",
                )
            ]
        return []

    def checks(self):
        messages = self.source_checks()
        if any(message.level >= WARNING for message in messages):
            return messages
        # Only what the source and transport in use read can stop X-Ray.
        if self.transport == "udp" and not valid_daemon_address(self.options["daemon_address"]):
            messages.append(
                Warning(
                    f"AWS_XRAY_DAEMON_ADDRESS {self.options['daemon_address']!r} is not host:port.",
                    hint="Point it at the daemon, e.g. 127.0.0.1:2000 or xray-daemon:2000.",
                    id="observability.W020",
                )
            )
        if self.source == "sdk" and as_bool(self.options["centralized_sampling"]) is None:
            messages.append(
                Warning(
                    "AWS_XRAY_CENTRALIZED_SAMPLING "
                    f"{self.options['centralized_sampling']!r} is neither true nor false.",
                    hint="Set it to true (poll the daemon for the console's rules) or false "
                    "(the rules file applies locally).",
                    id="observability.W022",
                )
            )
        try:
            if self.rules_apply:
                load_rules_file(rules_path())
        except (OSError, ValueError, KeyError) as error:
            messages.append(
                Warning(
                    f"The X-Ray rules file {rules_path()} cannot be read: {error!r}.",
                    hint="It holds the Group and SamplingRule as for create-group and "
                    "create-sampling-rule (see aws/json/xray.json).",
                    id="observability.W021",
                )
            )
        return messages

    def send_test(self, trace_id=None):
        """Send one segment to the daemon. UDP acknowledges nothing, so it counts as arrived only
        when the daemon answers on its TCP port (where it serves the sampling API). With the otlp
        transport, it arrived when X-Ray's endpoint accepted it."""
        if self.source == "otel":
            return self.send_test_span(trace_id)
        from aws_xray_sdk.core import xray_recorder

        from observability.trace_ids import to_xray

        xray_id = to_xray(trace_id) if trace_id else None
        segment = xray_recorder.begin_segment("send-test", traceid=xray_id, sampling=1)
        segment.put_annotation("send_test", True)
        xray_recorder.end_segment()
        self.emitter.flush()
        return self.daemon_answer()

    def send_test_span(self, trace_id):
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor, SpanExportResult

        from observability.providers.base import captured
        from observability.providers.otel.export import ResultRecordingExporter
        from observability.providers.otel.tracing import send_test_span

        attributes = {"send_test": True, "aws.xray.annotations": ("send_test",)}
        if self.transport != "otlp":
            send_test_span(self.span_processor(), trace_id, attributes)
            return self.daemon_answer()
        exporter = ResultRecordingExporter(self.otlp_exporter())
        with captured("opentelemetry") as records:
            send_test_span(SimpleSpanProcessor(exporter), trace_id, attributes)
        endpoint = exporter.inner.inner._endpoint
        if exporter.results == [SpanExportResult.SUCCESS]:
            return True, f"accepted by {endpoint}"
        return False, f"not accepted by {endpoint}: {records.reason() or 'no reason given'}"

    def daemon_answer(self):
        address = self.options["daemon_address"]
        problem = daemon_problem(address)
        if problem:
            return False, f"sent over UDP, unacknowledged: the daemon at {address} {problem}"
        return True, f"sent over UDP to the daemon at {address}, which answers on TCP"


def aws_credentials_found():
    """Whether botocore's default chain finds credentials (without asking an instance role when
    AWS_EC2_METADATA_DISABLED says not to)."""
    from botocore.exceptions import BotoCoreError
    from botocore.session import Session

    try:
        return Session().get_credentials() is not None
    except BotoCoreError:
        return False


def daemon_problem(address, timeout=2.0):
    """None when an X-Ray daemon answers at `address` (its sampling API, on TCP), else what went
    wrong."""
    import http.client

    from aws_xray_sdk.core.daemon_config import DaemonConfig

    from observability.providers.base import innermost, shortened

    config = DaemonConfig(address)
    connection = http.client.HTTPConnection(config.tcp_ip, config.tcp_port, timeout=timeout)
    try:
        connection.request("POST", "/GetSamplingRules", body=b"{}")
        connection.getresponse().read()
    except (OSError, http.client.HTTPException) as error:
        error = innermost(error)
        return shortened(f"does not answer on TCP ({type(error).__name__}: {error})")
    finally:
        connection.close()
    return None
