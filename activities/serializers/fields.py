"""Serializer fields that speak the contract: error codes as messages, strict text, ISO times.

The contract answers validation errors with snake_case codes such as `message_blank`. Each field
is given those codes as its error messages, so the exception handler only has to list them.
"""

import datetime

from rest_framework import serializers


def error_codes(prefix, **overrides):
    """Error messages for a field whose every failure is `<prefix>_blank` unless overridden.

    `invalid` covers a value of the wrong type or with NUL characters, `<prefix>_invalid`.
    """
    blank = f"{prefix}_blank"
    messages = {
        "required": blank,
        "null": blank,
        "blank": blank,
        "invalid": f"{prefix}_invalid",
        "invalid_choice": blank,
        "max_length": f"{prefix}_exceed_max_chars",
    }
    messages.update(overrides)
    return messages


# What str.strip() removes, so "blank" means the same to the schema as to the serializer.
WHITESPACE = r"\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"
# Text as TextField accepts it: at least one character that is not whitespace, and no NUL.
TEXT_PATTERN = rf"^[^\x00]*[^\x00{WHITESPACE}][^\x00]*$"


class TextField(serializers.CharField):
    """A CharField that accepts text only: no numbers, booleans or lists, no NUL characters and
    no lone surrogates (which no database can store)."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data or not is_encodable(data):
            self.fail("invalid")
        return super().to_internal_value(data)


def is_encodable(text):
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with an offset and microseconds: 2026-11-22T09:24:46.902000+00:00."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
