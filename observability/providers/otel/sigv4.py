"""SigV4 for OTLP/HTTP: AWS X-Ray's OTLP endpoint (for accounts with Transaction Search) takes
spans only in requests signed like any AWS API call. The OTLP exporter sends through a requests
session it is given; `signed_session` makes one whose auth signs each request with botocore's own
signer, over the body exactly as it is sent (compressed or not), so no collector is needed
between the app and X-Ray."""

import re

import requests
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.exceptions import BotoCoreError
from botocore.session import Session as BotocoreSession

SERVICE = "xray"
NO_CREDENTIALS = "no AWS credentials found for SigV4"
# Signed besides host and X-Amz-Date (botocore's own): the headers that say what the body is.
SIGNED_HEADERS = ("Content-Type", "Content-Encoding")
# What the signer writes on its request, copied onto the one requests sends.
SIGNATURE_HEADERS = (
    "Authorization", "X-Amz-Date", "X-Amz-Security-Token", "X-Amz-Content-SHA256"
)  # fmt: skip
REGION = re.compile(r"[a-z0-9-]+")


class NoSigV4Credentials(RuntimeError):
    """The default credential chain found no AWS credentials: the provider stands aside with this
    reason rather than send spans that X-Ray would refuse."""


class SigV4RequestAuth(requests.auth.AuthBase):
    """Signs each request a requests session sends with botocore's SigV4 signer. The credentials
    (botocore's, from the default chain) are frozen per request: refreshable ones renew
    themselves, and the chain caches them, so this is cheap."""

    def __init__(self, credentials, region, service=SERVICE):
        self.credentials = credentials
        self.region = region
        self.service = service

    def __call__(self, request):
        present = request.headers
        headers = {name: present[name] for name in SIGNED_HEADERS if name in present}
        signable = AWSRequest(
            method=request.method, url=request.url, data=body_bytes(request.body), headers=headers
        )
        credentials = self.credentials.get_frozen_credentials()
        SigV4Auth(credentials, self.service, self.region).add_auth(signable)
        for name in SIGNATURE_HEADERS:
            if name in signable.headers:
                request.headers[name] = signable.headers[name]
        return request

    def __repr__(self):
        return f"SigV4RequestAuth(region={self.region!r}, service={self.service!r})"


def body_bytes(body):
    """The prepared body as the bytes sent: SigV4 signs a hash of them, so a stream will not do."""
    if body is None:
        return b""
    if isinstance(body, str):
        return body.encode("utf-8")
    if isinstance(body, bytes):
        return body
    raise TypeError(f"SigV4 signs a body held in memory, not a {type(body).__name__}")


def signed_session(region):
    """A requests session whose every request is signed for X-Ray in `region`, for the OTLP
    exporter's `session=`. Raises NoSigV4Credentials, at once, when the default credential chain
    (environment, shared files, container or instance role) finds nothing."""
    try:
        credentials = BotocoreSession().get_credentials()
    except BotoCoreError as error:  # a profile that does not exist, a key without its secret...
        raise NoSigV4Credentials(f"{NO_CREDENTIALS}: {error}") from error
    if credentials is None:
        raise NoSigV4Credentials(NO_CREDENTIALS)
    session = requests.Session()
    session.auth = SigV4RequestAuth(credentials, region)
    return session


def xray_otlp_endpoint(region, base=None):
    """X-Ray's OTLP traces URL in `region`, or under the base URL `base` where one is given
    (AWS_ENDPOINT_URL_XRAY, read by the settings)."""
    if base:
        return f"{base.rstrip('/')}/v1/traces"
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise ValueError(f"{region!r} is no AWS region")
    return f"https://xray.{region}.amazonaws.com/v1/traces"
