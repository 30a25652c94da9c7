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


class TextField(serializers.CharField):
    """A CharField that accepts text only: no numbers, booleans or lists, and no NUL characters."""

    def to_internal_value(self, data):
        if not isinstance(data, str) or "\x00" in data:
            self.fail("invalid")
        return super().to_internal_value(data)


class IsoDateTimeField(serializers.DateTimeField):
    """ISO 8601 in UTC with an offset and microseconds: 2026-11-22T09:24:46.902000+00:00."""

    def to_representation(self, value):
        if value is None:
            return None
        return value.astimezone(datetime.UTC).isoformat(timespec="microseconds")
