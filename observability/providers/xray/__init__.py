"""AWS X-Ray: the SDK's Django middleware and recorder, configured from settings, segments sent
over UDP to the daemon; sampling by the rule in aws/json/xray.json."""

import json
import os
import re
from pathlib import Path

from django.conf import settings
from django.core.checks import Warning

from observability.conf import as_bool, conf
from observability.providers.base import Provider

# The daemon address forms the SDK accepts: host:port, or "tcp:host:port udp:host:port".
DAEMON_ADDRESS = re.compile(
    r"^([^\s:]+:\d+|tcp:[^\s:]+:\d+ udp:[^\s:]+:\d+|udp:[^\s:]+:\d+ tcp:[^\s:]+:\d+)$"
)


def valid_daemon_address(value):
    return bool(DAEMON_ADDRESS.match(str(value)))


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
        prepare_sdk_environment(enabled)

    @staticmethod
    def rules():
        """The Group and SamplingRule of the rules file (for `manage.py xray_resources`)."""
        return load_rules_file(rules_path())

    def __init__(self):
        super().__init__()
        self.emitter = None

    def start(self):
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

    def middleware(self):
        from aws_xray_sdk.ext.django.middleware import XRayMiddleware

        return [XRayMiddleware]

    def checks(self):
        messages = []
        if not valid_daemon_address(self.options["daemon_address"]):
            messages.append(
                Warning(
                    f"AWS_XRAY_DAEMON_ADDRESS {self.options['daemon_address']!r} is not host:port.",
                    hint="Point it at the daemon, e.g. 127.0.0.1:2000 or xray-daemon:2000.",
                    id="observability.W020",
                )
            )
        if as_bool(self.options["centralized_sampling"]) is None:
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
        when the daemon answers on its TCP port (where it serves the sampling API)."""
        from aws_xray_sdk.core import xray_recorder

        from observability.trace_ids import to_xray

        xray_id = to_xray(trace_id) if trace_id else None
        segment = xray_recorder.begin_segment("send-test", traceid=xray_id, sampling=1)
        segment.put_annotation("send_test", True)
        xray_recorder.end_segment()
        self.emitter.flush()
        address = self.options["daemon_address"]
        problem = daemon_problem(address)
        if problem:
            return False, f"sent over UDP, unacknowledged: the daemon at {address} {problem}"
        return True, f"sent over UDP to the daemon at {address}, which answers on TCP"


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
