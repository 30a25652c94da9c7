"""Misconfiguration is named by `manage.py check` with an id and a hint; the provider then stands
aside with one warning, and the app starts and answers all the same."""

import logging

import pytest
import requests
from django.core.checks import INFO, run_checks
from django.test import override_settings

from observability.providers.registry import provider as registered
from observability.tests.conftest import FAKE_AWS


def check_ids(observability):
    with override_settings(OBSERVABILITY=observability):
        return sorted(message.id for message in run_checks(tags=["observability"]))


def test_nothing_on_is_clean():
    assert check_ids({"providers": []}) == []


def test_well_configured_providers_are_clean(monkeypatch):
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    settings = {
        "providers": ["otel", "xray", "cloudwatch", "rollbar"],
        "rollbar": {"access_token": "token"},
        "cloudwatch": {"region": "us-east-1"},
    }
    assert check_ids(settings) == []


def test_unknown_provider_name():
    assert check_ids({"providers": ["otel", "datadog"]}) == ["observability.W001"]


@pytest.mark.parametrize(
    ("value", "expected"), [("off", []), (False, []), ("sometimes", ["observability.W002"])]
)
def test_database_spans_is_on_or_off(value, expected):
    assert check_ids({"providers": [], "database_spans": value}) == expected


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"providers": ["otel"], "otel": {"exporter": "zipkin"}}, "observability.W010"),
        ({"providers": ["otel"], "otel": {"endpoint": "api.honeycomb.io"}}, "observability.W011"),
        ({"providers": ["otel"], "otel": {"sampler_ratio": "abc"}}, "observability.W012"),
        ({"providers": ["otel"], "otel": {"sampler_ratio": "5"}}, "observability.W012"),
        ({"providers": ["xray"], "xray": {"daemon_address": "localhost"}}, "observability.W020"),
        (
            {"providers": ["xray"], "xray": {"centralized_sampling": "maybe"}},
            "observability.W022",
        ),
        (
            {"providers": ["xray"], "xray": {"rules_file": "/nonexistent.json"}},
            "observability.W021",
        ),
        (
            {"providers": ["cloudwatch"], "cloudwatch": {"log_group": "bad:name"}},
            "observability.W032",
        ),
        (
            {"providers": ["cloudwatch"], "cloudwatch": {"send_interval": "abc"}},
            "observability.W033",
        ),
        ({"providers": ["xray"], "xray": {"source": "daemon"}}, "observability.W023"),
        ({"providers": ["xray"], "xray": {"transport": "tcp"}}, "observability.W024"),
        (
            {"providers": ["xray"], "xray": {"source": "sdk", "transport": "otlp"}},
            "observability.W025",
        ),
        (
            {"providers": ["xray"], "xray": {"source": "otel", "transport": "otlp"}},
            "observability.W026",
        ),
        ({"providers": ["rollbar"]}, "observability.W040"),
        (
            {"providers": ["rollbar"], "rollbar": {"access_token": "t", "endpoint": "ftp://x"}},
            "observability.W041",
        ),
    ],
)
def test_each_misconfiguration_has_its_check(settings, expected, monkeypatch):
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    assert expected in check_ids(settings)


@pytest.mark.parametrize(
    ("settings", "info"),
    [
        ({"providers": ["xray"]}, True),
        ({"providers": ["xray"], "xray": {"source": "SDK"}}, True),
        ({"providers": ["xray"], "xray": {"source": "otel"}}, False),
        ({"providers": ["xray", "otel"]}, False),
        ({"providers": ["xray", "otel"], "xray": {"source": "sdk"}}, False),
    ],
    ids=["xray-alone", "xray-alone-sdk-set", "xray-alone-otel-set", "both", "both-sdk-set"],
)
def test_the_sdk_source_alone_says_the_sdk_is_in_maintenance(settings, info):
    """An Info, not a warning: X-Ray keeps working, and the hint names the setting."""
    with override_settings(OBSERVABILITY=settings):
        messages = [m for m in run_checks(tags=["observability"]) if m.id == "observability.I020"]
    assert bool(messages) is info
    if info:
        [message] = messages
        assert message.level == INFO
        assert "2027-02-25" in message.msg
        assert "OBSERVABILITY_XRAY_SOURCE=otel" in message.hint


@pytest.mark.parametrize(
    ("settings", "source"),
    [
        ({"providers": ["xray"]}, "sdk (default)"),
        ({"providers": ["xray", "otel"]}, "otel (default)"),
        ({"providers": ["xray"], "xray": {"source": "otel"}}, "otel (set)"),
        ({"providers": ["xray", "otel"], "xray": {"source": "sdk"}}, "sdk (set)"),
    ],
)
def test_the_status_shows_the_xray_source_in_use(settings, source):
    with override_settings(OBSERVABILITY=settings):
        assert registered("xray").settings_for_status()["source"] == source


def test_xray_over_otlp_without_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    settings = {"providers": ["xray"], "xray": {"transport": "otlp", "region": "us-east-1"}}
    assert check_ids(settings) == ["observability.W027"]


@pytest.mark.parametrize(
    "xray",
    [
        # No daemon, no centralized sampling and no rules file are read over OTLP with otel on.
        {"transport": "OTLP", "region": "us-east-1", "daemon_address": "bad"},
        {"source": "otel", "centralized_sampling": "maybe", "rules_file": "/nonexistent.json"},
    ],
    ids=["otlp", "otel-source"],
)
def test_only_what_the_source_and_transport_read_is_checked(xray, monkeypatch):
    for name, value in FAKE_AWS.items():
        monkeypatch.setenv(name, value)
    assert check_ids({"providers": ["otel", "xray"], "xray": xray}) == []


def test_the_otlp_transport_alone_takes_the_otel_source():
    settings = {"providers": ["xray"], "xray": {"transport": "otlp", "region": "us-east-1"}}
    with override_settings(OBSERVABILITY=settings):
        assert registered("xray").settings_for_status()["source"] == "otel (default)"


def test_cloudwatch_without_region_or_credentials(monkeypatch):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    ids = check_ids({"providers": ["cloudwatch"]})
    assert ids == ["observability.W030", "observability.W031"]


def test_every_check_has_a_hint(monkeypatch):
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    settings = {
        "providers": ["otel", "xray", "cloudwatch", "rollbar", "nope"],
        "otel": {"exporter": "x", "endpoint": "nowhere"},
        "xray": {"daemon_address": "x", "rules_file": "/nope"},
        "cloudwatch": {"log_group": ":"},
        "rollbar": {"endpoint": "ftp://x"},
    }
    with override_settings(OBSERVABILITY=settings):
        messages = run_checks(tags=["observability"])
    assert len(messages) >= 9
    assert all(message.hint for message in messages)


def test_a_provider_that_cannot_work_stands_aside_with_one_warning(caplog):
    provider = registered("rollbar")
    with override_settings(OBSERVABILITY={"providers": ["rollbar"]}):
        provider._setup_pid = None
        with caplog.at_level(logging.WARNING, logger="observability.problems"):
            assert provider.setup() is False
            assert provider.setup() is False
        assert not provider.active
    warnings = [r for r in caplog.records if r.name == "observability.problems"]
    assert len(warnings) == 1
    assert "ROLLBAR_ACCESS_TOKEN" in warnings[0].getMessage()
    assert "observability.W040" in warnings[0].getMessage()
    provider._setup_pid = None


def test_manage_py_check_names_the_problem(manage):
    result = manage(
        "check", OBSERVABILITY_PROVIDERS="rollbar,xray", AWS_XRAY_DAEMON_ADDRESS="nowhere"
    )
    # Warnings, not errors: telemetry that cannot work never stops migrate or runserver.
    assert result.returncode == 0, result.stderr
    assert "observability.W040" in result.stderr
    assert "observability.W020" in result.stderr
    assert "HINT" in result.stderr
    assert "Traceback" not in result.stderr


def test_observability_values_that_do_not_parse_are_warnings_not_tracebacks(manage):
    result = manage(
        "check", OBSERVABILITY_PROVIDERS="otel,cloudwatch", OTEL_TRACES_SAMPLER_ARG="abc",
        CLOUDWATCH_SEND_INTERVAL="abc", **FAKE_AWS,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert "(observability.W012) OTEL_TRACES_SAMPLER_ARG 'abc'" in result.stderr
    assert "(observability.W033) CLOUDWATCH_SEND_INTERVAL 'abc'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.server
def test_the_app_serves_with_every_provider_misconfigured(serve, tmp_path, monkeypatch):
    env = {
        "OBSERVABILITY_PROVIDERS": "otel,xray,cloudwatch,rollbar",
        "OTEL_EXPORTER_OTLP_ENDPOINT": "not a url",
        "AWS_XRAY_DAEMON_ADDRESS": "nowhere",
        "AWS_DEFAULT_REGION": "",
        "AWS_CONFIG_FILE": "/nonexistent",
        "AWS_ACCESS_KEY_ID": "",
        "AWS_SECRET_ACCESS_KEY": "",
        "ROLLBAR_ACCESS_TOKEN": "",
    }
    with serve(**env) as url:
        for _ in range(5):
            assert requests.get(f"{url}/api/activities/home", timeout=10).status_code == 200
            assert requests.get(f"{url}/api/activities/@worf", timeout=10).status_code == 200
    log = (tmp_path / "server.log").read_text()
    stand_aside = [line for line in log.splitlines() if "cannot work" in line]
    # One warning per provider per worker process (gunicorn runs two).
    for title in ("OpenTelemetry", "AWS X-Ray", "CloudWatch Logs", "Rollbar"):
        assert len([line for line in stand_aside if f" {title} is on" in line]) == 2
    assert "Traceback" not in log
