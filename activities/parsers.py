"""Request parsers that bound what a body may cost: its size and, for JSON, its nesting."""

from django.conf import settings
from rest_framework.exceptions import ParseError
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser

from activities.exceptions import BodyTooLarge


class BodySizeLimitMixin:
    """Refuses a body over DATA_UPLOAD_MAX_MEMORY_SIZE before reading it (DRF reads by stream,
    which Django's own limit does not cover)."""

    def parse(self, stream, media_type=None, parser_context=None):
        request = parser_context["request"]
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        if length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            raise BodyTooLarge()
        return super().parse(stream, media_type, parser_context)


class BoundedJSONParser(BodySizeLimitMixin, JSONParser):
    """DRF's JSON parser with a size limit, and `invalid_json` for every undecodable body
    (including one nested too deeply for the decoder)."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError("JSON nested too deeply.", code="invalid_json") from None
        except ParseError as exc:
            raise ParseError(str(exc.detail), code="invalid_json") from None


class BoundedFormParser(BodySizeLimitMixin, FormParser):
    """DRF's form parser with a size limit, for HTML forms and `curl -d`."""


class BoundedMultiPartParser(BodySizeLimitMixin, MultiPartParser):
    """DRF's multipart parser with a size limit: the browsable API's forms post multipart."""
