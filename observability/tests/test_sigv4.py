"""SigV4 for X-Ray's OTLP endpoint: a span exported through the project's exporter with a signed
session arrives at a receiver that recomputes the signature as AWS does, and only a correct one is
taken; the secret itself never leaves the process."""

import logging
import os

import pytest
import requests
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SpanExportResult

from observability.providers.otel.encoding import BytesEncodingSpanExporter
from observability.providers.otel.sigv4 import (
    NoSigV4Credentials,
    signed_session,
    xray_otlp_endpoint,
)
from observability.tests.conftest import FAKE_AWS, receiver_fixture
from observability.tests.receivers import SigV4OtlpReceiver, wait_for

REGION = "us-east-1"
PROTOBUF = {"Content-Type": "application/x-protobuf"}
# Variables that could bring credentials or an endpoint from the machine the tests run on.
FOREIGN = (
    "AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_ENDPOINT_URL",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN",
)  # fmt: skip

xray = receiver_fixture(SigV4OtlpReceiver)


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """aws_env(receiver, **variables): the fake credentials, overridden by `variables`, with the
    X-Ray endpoint pointed at `receiver`; no credentials from the machine's files or variables."""
    for name in FOREIGN:
        monkeypatch.delenv(name, raising=False)
    for name in ("AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE"):
        (tmp_path / name).write_text("")
        monkeypatch.setenv(name, str(tmp_path / name))

    def apply(receiver=None, **variables):
        for name, value in {**FAKE_AWS, **variables}.items():
            if value is None:
                monkeypatch.delenv(name, raising=False)
            else:
                monkeypatch.setenv(name, value)
        if receiver is not None:
            monkeypatch.setenv("AWS_ENDPOINT_URL_XRAY", receiver.url)

    return apply


def export_span(name, compression=None):
    """Export one span as the provider would: the project's exporter, a signed session."""
    exporter = BytesEncodingSpanExporter(
        endpoint=xray_otlp_endpoint(REGION, os.environ.get("AWS_ENDPOINT_URL_XRAY")),
        session=signed_session(REGION),
        timeout=1.5,
        compression=compression,
    )
    span = TracerProvider().get_tracer("sigv4-test").start_span(name)
    span.end()
    try:
        return exporter.export([span])
    finally:
        exporter.shutdown()


def signed_header_names(record_or_span):
    authorization = record_or_span["headers"].get("authorization", "")
    return authorization.partition("SignedHeaders=")[2].partition(",")[0].split(";")


def replay(record, url, **changed_headers):
    """The request as it arrived, sent again to `url` (Host kept), with some headers changed."""
    headers = {**record["headers"], **changed_headers}
    return requests.post(url + record["path"], data=record["body"], headers=headers, timeout=5)


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_a_signed_export_arrives_and_is_decoded(xray, aws_env, compression):
    aws_env(xray)
    assert export_span("signed-span", compression) == SpanExportResult.SUCCESS
    [span] = xray.spans()
    assert span["name"] == "signed-span"
    assert xray.refused == 0
    # Signed for X-Ray in the region, over the body as sent: compressed, when it is.
    headers = span["headers"]
    scope = f"Credential=testing/{headers['x-amz-date'][:8]}/us-east-1/xray/aws4_request"
    assert scope in headers["authorization"]
    expected_encoding = "gzip" if compression == Compression.Gzip else None
    assert headers.get("content-encoding") == expected_encoding


def test_wrong_credentials_are_refused(xray, aws_env):
    aws_env(xray, AWS_SECRET_ACCESS_KEY="wrong")
    assert export_span("wrongly-signed") == SpanExportResult.FAILURE
    response = signed_session(REGION).post(
        xray_otlp_endpoint(REGION, os.environ.get("AWS_ENDPOINT_URL_XRAY")),
        data=b"",
        headers=PROTOBUF,
        timeout=5,
    )
    assert response.status_code == 403
    assert xray.spans() == []
    assert xray.refused == 2


def test_an_unsigned_export_is_refused(xray):
    response = requests.post(f"{xray.url}/v1/traces", data=b"", headers=PROTOBUF, timeout=5)
    assert response.status_code == 403
    assert xray.refused == 1


def test_only_v1_traces_takes_exports(xray, aws_env):
    aws_env(xray)
    response = signed_session(REGION).post(
        f"{xray.url}/v1/metrics", data=b"", headers=PROTOBUF, timeout=5
    )
    assert response.status_code == 403


def test_a_session_token_is_sent_and_signed(aws_env):
    token = "session-token-one"
    with SigV4OtlpReceiver(session_token=token) as xray:
        aws_env(xray, AWS_SESSION_TOKEN=token)
        assert export_span("with-token") == SpanExportResult.SUCCESS
        [span] = xray.spans()
        assert span["headers"]["x-amz-security-token"] == token
        assert "x-amz-security-token" in signed_header_names(span)
        [record] = xray.requests
    # Sent again as it was, the request is taken; with another token, it is not: the token is
    # part of what was signed, even where the receiver expects that other token.
    with SigV4OtlpReceiver(session_token=token) as same:
        assert replay(record, same.url).status_code == 200
    with SigV4OtlpReceiver(session_token="session-token-two") as other:
        response = replay(record, other.url, **{"X-Amz-Security-Token": "session-token-two"})
        assert response.status_code == 403
        assert other.refused == 1


@pytest.mark.parametrize("sent", [None, "session-token-two"])
def test_the_expected_session_token_must_be_sent(aws_env, sent):
    with SigV4OtlpReceiver(session_token="session-token-one") as xray:
        aws_env(xray, AWS_SESSION_TOKEN=sent)
        assert export_span("without-token") == SpanExportResult.FAILURE
        assert xray.refused == 1
        assert xray.spans() == []


def test_the_secret_never_leaves_the_process(aws_env, caplog):
    secret = "sigv4-secret-key-0123456789abcdef"
    with SigV4OtlpReceiver(secret_key=secret) as xray, caplog.at_level(logging.DEBUG):
        aws_env(xray, AWS_SECRET_ACCESS_KEY=secret)
        assert export_span("kept-secret", Compression.Gzip) == SpanExportResult.SUCCESS
        assert [span["name"] for span in xray.spans()] == ["kept-secret"]
        assert secret.encode() not in xray.raw_bytes()
    assert secret not in caplog.text
    assert secret not in repr(signed_session(REGION).auth)


def test_the_endpoint_is_x_rays_in_the_region():
    assert xray_otlp_endpoint("eu-west-1") == "https://xray.eu-west-1.amazonaws.com/v1/traces"
    assert xray_otlp_endpoint("eu-west-1", "").startswith("https://xray")
    with pytest.raises(ValueError, match="no AWS region"):
        xray_otlp_endpoint("eu-west-1.example.com/x")


def test_the_endpoint_follows_the_sdks_override():
    base = "http://127.0.0.1:4318/"
    assert xray_otlp_endpoint("eu-west-1", base) == "http://127.0.0.1:4318/v1/traces"


@pytest.mark.parametrize(
    "variables",
    [
        {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None},
        {"AWS_SECRET_ACCESS_KEY": None},  # a key without its secret
        {"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None, "AWS_PROFILE": "missing"},
    ],
)
def test_no_credentials_is_a_clear_error_at_once(aws_env, variables):
    aws_env(**variables)
    with pytest.raises(NoSigV4Credentials, match=r"^no AWS credentials found for SigV4"):
        signed_session(REGION)


@pytest.mark.server
def test_the_otel_source_sends_each_request_signed_to_x_rays_otlp_endpoint(
    xray, otlp, daemon, provider_env, serve
):
    """The otlp transport on the wire: the spans Honeycomb gets also reach X-Ray, signed, and
    nothing goes to a daemon."""
    env = provider_env(
        "otel", "xray", OBSERVABILITY_XRAY_TRANSPORT="otlp", AWS_ENDPOINT_URL_XRAY=xray.url
    )
    with serve(**env) as url:
        response = requests.get(f"{url}/api/activities/@andrewbrown", timeout=10)
        wait_for(lambda: any(span["kind"] == 2 for span in xray.spans()))
        wait_for(lambda: any(span["kind"] == 2 for span in otlp.spans()))
    # Read after the stop: a batch may leave mid-request, and the stop sends whatever is left.
    to_xray, to_honeycomb = xray.spans(), otlp.spans()
    root = response.headers["X-Amzn-Trace-Id"].removeprefix("Root=1-").replace("-", "")
    assert {span["trace_id"] for span in to_xray} == {root}
    assert sorted(s["span_id"] for s in to_xray) == sorted(s["span_id"] for s in to_honeycomb)
    assert "mock-data" in {span["name"] for span in to_xray}
    assert xray.refused == 0
    assert daemon.segments() == []


@pytest.mark.server
@pytest.mark.parametrize("secret", ["testing", "not-the-secret"])
def test_send_test_says_whether_x_rays_otlp_endpoint_took_the_span(
    xray, provider_env, manage, secret
):
    env = provider_env(
        "xray", OBSERVABILITY_XRAY_SOURCE="otel", OBSERVABILITY_XRAY_TRANSPORT="otlp",
        AWS_ENDPOINT_URL_XRAY=xray.url, AWS_SECRET_ACCESS_KEY=secret,
    )  # fmt: skip
    result = manage("observability", "--send-test", **env)
    if secret == "testing":
        assert result.returncode == 0, result.stdout + result.stderr
        assert f"accepted by {xray.url}/v1/traces" in result.stdout
        assert [span["name"] for span in xray.spans()] == ["send-test"]
    else:
        assert result.returncode == 1, result.stdout + result.stderr
        assert "not accepted" in result.stdout
        assert "403" in result.stdout
        assert xray.spans() == []
