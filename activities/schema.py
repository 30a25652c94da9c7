"""What the OpenAPI schema cannot read off the views: the error arrays with their codes and
statuses, the `Link` header of paged lists, and the formats of path parameters.

Views declare their answers with `reading(...)` and `writing(...)`; drf-spectacular infers the
rest (paths, query parameters, serializers). The committed schema (openapi.yaml) is compared with
the generated one by activities/tests/test_schema.py.
"""

from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema

from activities.serializers.fields import TEXT_PATTERN

# Answers any API operation can give, whatever its input.
NOT_ACCEPTABLE = 406
BAD_BODY_CODES = ("body_not_object", "invalid_json", "parse_error")


def errors(description, *codes):
    """An error answer: a JSON array of one or more of `codes`, in a stable order."""
    return OpenApiResponse(
        response={
            "type": "array",
            "items": {"type": "string", "enum": list(codes)},
            "minItems": 1,
            "uniqueItems": True,
        },
        description=f"{description} ({', '.join(codes)})",
    )


def common_errors():
    return {NOT_ACCEPTABLE: errors("No renderer for the Accept header", "not_acceptable")}


LINK_HEADER = OpenApiParameter(
    "Link",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    response=[200],
    description='The other pages of the list: `<url>; rel="next"`, `<url>; rel="prev"`. '
    "Absent when the list fits on one page.",
)


def path_parameter(name, kind, description, seeded):
    """A path parameter, with a value from the seed data as its example."""
    examples = [OpenApiExample("Seeded", value=seeded)]
    return OpenApiParameter(
        name, kind, OpenApiParameter.PATH, description=description, examples=examples
    )


ACTIVITY_UUID = path_parameter(
    "activity_uuid", OpenApiTypes.UUID,
    "The activity's uuid (a malformed one answers 404 activity_not_found).",
    "68f126b0-1ceb-4a33-88be-d90fa7109eee",
)  # fmt: skip
HANDLE = path_parameter("handle", OpenApiTypes.STR, "A user's handle, e.g. andrewbrown.", "worf")
ACTIVITY_NOT_FOUND = errors("No activity has that uuid", "activity_not_found")
USER_NOT_FOUND = errors("No user has that handle", "user_not_found")


def reading(response, *, paged=False, not_found=None, invalid=None, parameters=(), **kwargs):
    """extend_schema for a GET: `response` on 200 (a list with a Link header when `paged`), and
    the errors it can answer."""
    responses = {200: response, **common_errors()}
    if paged:
        responses[400] = errors(
            "A cursor this API did not hand out, or a page_size that is no positive integer",
            "invalid_cursor", "invalid_page_size",
        )  # fmt: skip
        parameters = [*parameters, LINK_HEADER]
    if not_found:
        responses[404] = not_found
    if invalid:
        responses[422] = invalid
    return extend_schema(responses=responses, parameters=list(parameters), **kwargs)


def example(value):
    """A request body for Swagger UI's "Try it out" (and the fuzzer's first cases)."""
    return [OpenApiExample("Example", value=value, request_only=True)]


def writing(request, response, *, invalid, not_found=None, parameters=(), **kwargs):
    """extend_schema for a POST that creates: `request` in, `response` out with 200, and the
    errors of a body that is not a JSON object, too large, of an unknown type or invalid."""
    responses = {
        200: response,
        400: errors("The body is not a JSON object", *BAD_BODY_CODES),
        413: errors("The body is larger than the limit", "body_too_large"),
        415: errors("The body's Content-Type is not JSON or a form", "unsupported_media_type"),
        422: invalid,
        **common_errors(),
    }
    if not_found:
        responses[404] = not_found
    return extend_schema(
        request=request, responses=responses, parameters=list(parameters), **kwargs
    )


class TextFieldExtension(OpenApiSerializerFieldExtension):
    """On input, a TextField takes what its pattern says: some text that is not whitespace only,
    without NUL characters (anything else answers 422)."""

    target_class = "activities.serializers.fields.TextField"

    def map_serializer_field(self, auto_schema, direction):
        schema = auto_schema._map_serializer_field(self.target, direction, bypass_extensions=True)
        if direction == "request":
            schema["pattern"] = TEXT_PATTERN
        return schema


def unbounded_response_messages(result, generator, request, public):
    """A postprocessing hook: answers state no maximum length for `message`, as one Activity shape
    carries top-level activities (280 characters) and replies (1024) alike; requests keep theirs."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if not name.endswith("Request"):
            component.get("properties", {}).get("message", {}).pop("maxLength", None)
    return result
