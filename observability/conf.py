"""One settings object for observability: defaults merged with settings.OBSERVABILITY.

Read the settings only through `conf`. It is built on first use and rebuilt when OBSERVABILITY
changes (override_settings in tests), the way DRF's api_settings works.
"""

import copy

from django.conf import settings
from django.core.signals import setting_changed

PROVIDER_IDS = ("otel", "xray", "cloudwatch", "rollbar")

DEFAULTS = {
    # The providers switched on, a subset of PROVIDER_IDS.
    "providers": [],
    "service_name": "backend-django",
    # The release running (a git sha, a tag): service.version on spans and segments, Rollbar's
    # code_version, and a field of every log line. None: no release is named.
    "release": None,
    # Secret values the process holds that no option names (the AWS secret key), for scrubbing.
    "secrets": [],
    # A span (X-Ray: a `sql` subsegment) per query of a traced request; off with False or "off".
    "database_spans": True,
    "otel": {
        # "otlp" exports over OTLP/HTTP; "console" prints spans, for a laptop with no account.
        "exporter": "otlp",
        # The OTLP base URL; /v1/traces is appended. Unset: Honeycomb's when a key is given,
        # else the OpenTelemetry default.
        "endpoint": None,
        # "key=value,key2=value2", as OTEL_EXPORTER_OTLP_HEADERS.
        "headers": "",
        # A shortcut for the x-honeycomb-team header.
        "honeycomb_api_key": None,
        "honeycomb_team": None,
        "honeycomb_environment": None,
        # The fraction of new traces sampled, as OTEL_TRACES_SAMPLER_ARG; None samples every one.
        "sampler_ratio": None,
    },
    "xray": {
        # Where segments come from: "otel" (built from the finished OpenTelemetry spans) or "sdk"
        # (the X-Ray SDK's Django middleware). None: otel when the otel provider is on too, else
        # sdk.
        "source": None,
        # How the otel source sends: "udp" to the daemon, or "otlp" to X-Ray's OTLP endpoint,
        # SigV4-signed (accounts with Transaction Search).
        "transport": "udp",
        # The region of X-Ray's OTLP endpoint (the otlp transport), and another base URL for it.
        "region": None,
        "endpoint_url": None,
        "daemon_address": "127.0.0.1:2000",
        # A host pattern (e.g. "*4567-*.gitpod.io*"): requests to a matching host are named by it.
        "dynamic_naming": None,
        # The group and sampling rule, as data (aws/json/xray.json).
        "rules_file": None,
        # Poll the daemon for the rules made in the console; off, the file's rule applies locally.
        # True/False, or its text (AWS_XRAY_CENTRALIZED_SAMPLING).
        "centralized_sampling": True,
    },
    "cloudwatch": {
        "log_group": "cruddur",
        "region": None,
        # Each process writes to a stream of its own.
        "log_stream": "{service}/{machine_name}/{process_id}",
        # Seconds between batches: a positive number, or its text (CLOUDWATCH_SEND_INTERVAL).
        "send_interval": 5,
    },
    "metrics": {
        # Request metrics (observability.metrics): on/off, True/False or their text.
        "enabled": True,
        # Seconds between exports: a positive number, or its text.
        "interval": 60,
        # The CloudWatch namespace of the EMF lines.
        "namespace": "Cruddur",
        # EMF dimension sets of Service, Route and StatusClass: a list of lists, or
        # "Service,Route,StatusClass;Service" (sets separated by semicolons).
        "dimensions": [["Service", "Route", "StatusClass"]],
    },
    "rollbar": {
        "access_token": None,
        "environment": "production",
        # The API base; Rollbar's own unless set (self-hosted, tests).
        "endpoint": None,
    },
}

# Option names whose values never leave the process in clear (status output masks them).
SECRET_OPTIONS = {"headers", "honeycomb_api_key", "access_token"}
OTLP_DEFAULT_ENDPOINT = "http://localhost:4318"
HONEYCOMB_ENDPOINT = "https://api.honeycomb.io"


def as_bool(value):
    """True or False from a setting given as either, or as 1/0, true/false, yes/no, on/off text;
    None for anything else."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    return {"1": True, "true": True, "yes": True, "on": True}.get(
        word, {"0": False, "false": False, "no": False, "off": False}.get(word)
    )


def merged(defaults, overrides):
    """`defaults` with `overrides` laid over it, one level of nested dicts deep."""
    result = copy.deepcopy(defaults)
    for key, value in (overrides or {}).items():
        if isinstance(result.get(key), dict) and isinstance(value, dict):
            result[key].update(value)
        else:
            result[key] = value
    return result


class ObservabilitySettings:
    """The effective observability settings; `conf.xray["daemon_address"]`, `conf.providers`."""

    def __init__(self, user_settings=None):
        self._values = merged(DEFAULTS, user_settings)

    def __getattr__(self, name):
        try:
            return self._values[name]
        except KeyError:
            raise AttributeError(name) from None

    def __getitem__(self, name):
        return self._values[name]

    def enabled(self, identifier):
        """True when `identifier` is one of the providers switched on."""
        return identifier in self.providers

    def database_spans_on(self):
        """Whether queries become spans: unless database_spans says off (what does not parse
        keeps the default, on; check W002 names it)."""
        return as_bool(self.database_spans) is not False

    def unknown_providers(self):
        """Names in `providers` that are no provider's identifier."""
        return [name for name in self.providers if name not in PROVIDER_IDS]


class LazyObservabilitySettings:
    """Builds ObservabilitySettings from django.conf.settings on first use, and again after a
    change to OBSERVABILITY."""

    _settings = None

    def __getattr__(self, name):
        if LazyObservabilitySettings._settings is None:
            user = getattr(settings, "OBSERVABILITY", {})
            LazyObservabilitySettings._settings = ObservabilitySettings(user)
        return getattr(LazyObservabilitySettings._settings, name)

    def __getitem__(self, name):
        return self.__getattr__(name)

    def reload(self):
        LazyObservabilitySettings._settings = None


conf = LazyObservabilitySettings()


def reload_conf(*, setting, **kwargs):
    if setting == "OBSERVABILITY":
        conf.reload()


setting_changed.connect(reload_conf)
