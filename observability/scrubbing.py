"""One scrubbing policy for everything that leaves the process: span attributes, X-Ray segments,
log records and Rollbar items.

Redacted: values under keys named like secrets (headers, JSON fields, query and form parameters)
and, anywhere in any text, the process's own secrets (AWS secret key, Rollbar token, Honeycomb
key, OTLP header values, Django's secret key, the database password).
"""

import os
import re
from functools import lru_cache
from urllib.parse import urlsplit

REDACTED = "[REDACTED]"
SENSITIVE_NAME = re.compile(
    r"pass(word|wd)?|token|secret|api[-_]?key|access[-_]?key|session|authorization|cookie"
    r"|x-honeycomb-team|csrf|credential",
    re.IGNORECASE,
)
# name=value in query strings, form bodies and cookie headers; "name": "value" in JSON text.
_NAME = r"[\w.\-\[\]]*"
QUERY_PAIR = re.compile(rf"(?P<name>{_NAME})=(?P<value>[^&\s;,#\"']*)")
JSON_PAIR = re.compile(rf"\"(?P<name>{_NAME})\"\s*:\s*\"(?P<value>(?:[^\"\\]|\\.)*)\"")
SECRET_VARIABLES = (
    "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "ROLLBAR_ACCESS_TOKEN", "HONEYCOMB_API_KEY",
    "DJANGO_SECRET_KEY",
)  # fmt: skip
MIN_SECRET_LENGTH = 6


def is_sensitive(name):
    return bool(SENSITIVE_NAME.search(str(name)))


@lru_cache(maxsize=1)
def process_secrets():
    """The process's own secret values, longest first: read once, as the environment does not
    change under a running process (tests that change it call process_secrets.cache_clear())."""
    values = {os.environ.get(name, "") for name in SECRET_VARIABLES}
    for pair in os.environ.get("OTEL_EXPORTER_OTLP_HEADERS", "").split(","):
        values.add(pair.partition("=")[2].strip())
    password = urlsplit(os.environ.get("DATABASE_URL", "")).password
    values.add(password or "")
    return tuple(sorted((v for v in values if len(v) >= MIN_SECRET_LENGTH), key=len, reverse=True))


def scrub_text(text):
    """A string with secret-named pairs' values and the process's secrets redacted."""
    if not isinstance(text, str) or not text:
        return text
    for secret in process_secrets():
        if secret in text:
            text = text.replace(secret, REDACTED)

    def pair(match):
        if not is_sensitive(match.group("name")) or match.group("value") in ("", REDACTED):
            return match.group(0)
        start, end = match.span("value")
        whole_start = match.start()
        return (
            match.group(0)[: start - whole_start] + REDACTED + match.group(0)[end - whole_start :]
        )

    if "=" in text:
        text = QUERY_PAIR.sub(pair, text)
    if '"' in text and ":" in text:
        text = JSON_PAIR.sub(pair, text)
    return text


def scrub(value, depth=0):
    """A copy of a JSON-like value, scrubbed: sensitive keys' values redacted, texts scrubbed."""
    if depth > 32:
        return REDACTED
    if isinstance(value, dict):
        return {
            key: REDACTED
            if is_sensitive(key) and value[key] not in (None, "")
            else scrub(value[key], depth + 1)
            for key in value
        }
    if isinstance(value, (list, tuple)):
        return type(value)(scrub(item, depth + 1) for item in value)
    if isinstance(value, str):
        return scrub_text(value)
    return value
