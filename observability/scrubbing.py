"""One scrubbing policy for everything that leaves the process: span attributes, X-Ray segments,
log records and Rollbar items.

Redacted: values under keys named like secrets (headers, JSON fields, query and form parameters)
and, anywhere in any text, the process's own secrets (AWS secret key, Rollbar token, Honeycomb
key, OTLP header values, Django's secret key, the database password). SQL statements (the keys
of observability.sql.STATEMENT_KEYS) lose their literal values too.
"""

import html
import json
import re
from functools import lru_cache
from urllib.parse import quote, quote_plus, unquote, unquote_plus

from django.core.signals import setting_changed

from observability.sql import STATEMENT_KEYS, without_literals

REDACTED = "[REDACTED]"
# Matched against lower-cased text (see folded()): a case-sensitive search of a lower-cased string
# costs a fraction of an IGNORECASE search, which lower-cases every character it tries.
SENSITIVE_NAME = re.compile(
    r"pass(word|wd)?|token|secret|api[-_]?key|access[-_]?key|session|authorization|cookie"
    r"|x-honeycomb-team|csrf|credential"
)
# Names seen are few (headers, attribute and segment keys, form fields): their verdicts are kept.
NAME_CACHE_SIZE = 4096
MAX_CACHED_NAME = 128
# name=value in query strings, form bodies and cookie headers; "name": "value" in JSON text. Names
# are judged as the application reads them: percent-decoded (`pass%77ord`), JSON-unescaped.
_NAME = r"[\w.\-\[\]%+]*"
QUERY_PAIR = re.compile(rf"(?P<name>{_NAME})=(?P<value>[^&\s;,#\"']*)")
JSON_PAIR = re.compile(
    r"\"(?P<name>(?:[\w.\-\[\]]|\\u[0-9a-fA-F]{4})*)\"\s*:\s*\"(?P<value>(?:[^\"\\]|\\.)*)\""
)
MIN_SECRET_LENGTH = 6
# Short texts come back again and again (span attributes, segment fields: method, host, route,
# status, SDK versions): each one's verdict is kept, until the secrets change or it is full.
TEXT_CACHE_SIZE = 2048
MAX_CACHED_TEXT = 256
# Statements are cached up to this length (a bulk INSERT's may be longer, and rare).
MAX_CACHED_STATEMENT = 16384
UNCHANGED = object()
_NUMBERS = (int, float, bool)
# The same for span attributes, by (name, text): a request's attributes repeat request after
# request (method, host, scheme, route, user agent), so most cost one lookup.
_pair_verdicts = (None, {})


# The letters an IGNORECASE search took for ASCII ones, which lower() leaves as they are (or, for
# the capital dotted I, turns into "i" and a combining dot).
FOLD = str.maketrans({"\u0131": "i", "\u017f": "s", "\u0307": None})


def folded(text):
    """`text` lower-cased for SENSITIVE_NAME, matching what an IGNORECASE search would."""
    text = text.lower()
    return text if text.isascii() else text.translate(FOLD)


@lru_cache(maxsize=NAME_CACHE_SIZE)
def _sensitive_name(name):
    return SENSITIVE_NAME.search(folded(name)) is not None


def decoded_name(name):
    """A pair's name as the application reads it: percent-decoded, then JSON-unescaped."""
    if "%" in name or "+" in name:
        name = unquote_plus(name)
    if "\\u" in name and '"' not in name:  # JSON_PAIR's names hold only valid escapes
        name = json.loads(f'"{name}"')
    return name


def is_sensitive(name):
    name = name if isinstance(name, str) else str(name)
    if len(name) > MAX_CACHED_NAME:  # a long name is rare: not worth a cache entry
        return SENSITIVE_NAME.search(folded(name)) is not None
    return _sensitive_name(name)


@lru_cache(maxsize=1)
def process_secrets():
    """The process's own secret values, longest first, from the settings that hold them: read
    once (the cache is cleared when one of those settings changes)."""
    values = settings_secrets()
    values = {v for v in values if isinstance(v, str) and len(v) >= MIN_SECRET_LENGTH}
    # As they would stand in a URL, a form body or an HTML page, too.
    values |= {encoded(v) for v in values for encoded in (quote, quote_plus, html.escape)}
    return tuple(sorted(values, key=len, reverse=True))


def settings_secrets():
    """The one list of what counts as a secret: the observability options that are secrets (the
    OTLP header values, the Honeycomb key, the Rollbar token), the other secret values the
    process holds (the AWS secret key), Django's secret key and the databases' passwords."""
    from django.conf import settings

    from observability.conf import conf

    if not settings.configured:
        return set()
    values = {*conf.secrets, conf.otel["honeycomb_api_key"], conf.rollbar["access_token"]}
    values |= {pair.partition("=")[2].strip() for pair in (conf.otel["headers"] or "").split(",")}
    values |= {database.get("PASSWORD") for database in settings.DATABASES.values()}
    values.add(settings.SECRET_KEY)
    return values


def forget_secrets(*, setting, **kwargs):
    if setting in ("OBSERVABILITY", "SECRET_KEY", "DATABASES"):
        process_secrets.cache_clear()


setting_changed.connect(forget_secrets)


class Verdicts:
    """Texts judged by `judge(text, secrets)`, each one's clean form kept (UNCHANGED when it was
    clean) until the secrets change (a setting changed) or it holds `size` texts; replaced whole,
    so threads never see it half-cleared."""

    def __init__(self, judge, size=TEXT_CACHE_SIZE):
        self.judge, self.size = judge, size
        self.held = (None, {})  # (the secrets they were judged by, {text: verdict})

    def clean(self, text, secrets):
        judged_by, verdicts = self.held
        verdict = verdicts.get(text) if judged_by is secrets else None
        if verdict is None:
            clean = self.judge(text, secrets)
            verdict = UNCHANGED if clean is text else clean
            if judged_by is not secrets or len(verdicts) >= self.size:
                self.held = judged_by, verdicts = secrets, {}
            verdicts[text] = verdict
        return text if verdict is UNCHANGED else verdict


def scrub_text(text):
    """A string with secret-named pairs' values and the process's secrets redacted (the same
    object when there is nothing to redact)."""
    if not isinstance(text, str) or not text:
        return text
    secrets = process_secrets()
    if len(text) > MAX_CACHED_TEXT:
        return _scrub_text(text, secrets)
    return _texts.clean(text, secrets)


def scrub_statement(statement):
    """An SQL statement without its literal values (observability.sql), scrubbed as any text.
    Statements are long and few, and come back with every query: each one's clean form is kept."""
    if not isinstance(statement, str) or len(statement) > MAX_CACHED_STATEMENT:
        return scrub_text(without_literals(statement))
    return _statements.clean(statement, process_secrets())


def _scrub_text(text, secrets):
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)

    def pair(match):
        name = match.group("name")
        if match.group("value") in ("", REDACTED) or not is_sensitive(decoded_name(name)):
            return match.group(0)
        start, end = match.span("value")
        whole_start = match.start()
        return (
            match.group(0)[: start - whole_start] + REDACTED + match.group(0)[end - whole_start :]
        )

    has_pairs = "=" in text
    has_json = '"' in text and ":" in text
    # A pair is redacted only when its name is sensitive, so a text in which no sensitive word
    # appears at all (most URLs, messages and attribute values) is returned after one search.
    probe = unquote(text) if "%" in text or "\\u" in text else text
    if "\\u" in probe:
        probe = probe.encode("ascii", "backslashreplace").decode("unicode_escape", "replace")
    if (has_pairs or has_json) and SENSITIVE_NAME.search(folded(probe)):
        if has_pairs:
            text = QUERY_PAIR.sub(pair, text)
        if has_json:
            text = JSON_PAIR.sub(pair, text)
    return text


_texts = Verdicts(_scrub_text)
_statements = Verdicts(lambda statement, secrets: _scrub_text(without_literals(statement), secrets))


def scrub(value, depth=0):
    """A JSON-like value, scrubbed: sensitive keys' values redacted, texts scrubbed. What holds
    nothing to redact is returned as it is (the same object, so callers can tell it was clean);
    anything else is a copy, and the value passed in is left untouched."""
    if depth > 32:
        return REDACTED
    if isinstance(value, str):
        return scrub_text(value)
    if isinstance(value, dict):
        copy = None
        for key, item in value.items():
            if is_sensitive(key) and item not in (None, ""):
                clean = REDACTED
            elif key in STATEMENT_KEYS:
                clean = scrub_statement(item)
            else:
                clean = scrub(item, depth + 1)
            if clean is not item:
                copy = dict(value) if copy is None else copy
                copy[key] = clean
        return value if copy is None else copy
    if isinstance(value, (list, tuple)):
        items = [scrub(item, depth + 1) for item in value]
        if all(clean is item for clean, item in zip(items, value, strict=True)):
            return value
        return type(value)(items)
    return value


def scrub_attributes(attributes):
    """A flat mapping of names to values (span or event attributes), scrubbed as scrub() scrubs
    it: the same mapping when nothing is redacted, else a copy. A (name, short text) pair is
    judged once and its verdict kept, until the secrets change or the cache is full."""
    global _pair_verdicts
    secrets = process_secrets()
    judged_by, verdicts = _pair_verdicts
    if judged_by is not secrets or len(verdicts) >= TEXT_CACHE_SIZE:
        _pair_verdicts = judged_by, verdicts = secrets, {}
    copy = None
    for key, value in attributes.items():
        if value.__class__ is str and len(value) <= MAX_CACHED_TEXT:
            verdict = verdicts.get((key, value))
            if verdict is None:
                # As _scrubbed_pair: its text judged here, not kept among texts as well (a
                # value seen once, a time say, is judged once in either cache).
                if key in STATEMENT_KEYS or (value and is_sensitive(key)):
                    clean = _scrubbed_pair(key, value)
                else:
                    clean = _scrub_text(value, secrets) if value else value
                verdicts[key, value] = verdict = UNCHANGED if clean is value else clean
            if verdict is UNCHANGED:
                continue
            clean = verdict
        elif value.__class__ in _NUMBERS:  # only its name can make it a secret's
            if not is_sensitive(key):
                continue
            clean = REDACTED
        else:
            clean = _scrubbed_pair(key, value)
            if clean is value:
                continue
        copy = dict(attributes) if copy is None else copy
        copy[key] = clean
    return attributes if copy is None else copy


def _scrubbed_pair(key, value):
    """What scrub() makes of `value` under `key` in a dict."""
    if is_sensitive(key) and value not in (None, ""):
        return REDACTED
    if key in STATEMENT_KEYS:
        return scrub_statement(value)
    return scrub(value, 1)
