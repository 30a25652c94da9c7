"""The base of every request serializer: a body must be a JSON object."""

from collections.abc import Mapping

from rest_framework import serializers
from rest_framework.fields import empty

from activities.exceptions import BodyNotObject


class RequestSerializer(serializers.Serializer):
    """Rejects a body that is not an object (a list, a string, null) with 400, before any field."""

    def run_validation(self, data=empty):
        if not isinstance(data, Mapping):
            raise BodyNotObject()
        return super().run_validation(data)
