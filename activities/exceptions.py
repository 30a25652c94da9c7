"""The API's error shape: a JSON array of snake_case codes, for DRF's errors and Django's alike.

`api_exception_handler` is DRF's EXCEPTION_HANDLER; the four Django handlers are the project's
handler400/403/404/500, answering JSON under /api and Django's own pages elsewhere.
"""

from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

API_PATH_PREFIXES = ("/api", "/rollbar")


class BodyNotObject(exceptions.APIException):
    """The body parsed, but is not a JSON object (a list, a string, a number or null)."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "The request body must be a JSON object."
    default_code = "body_not_object"


class BodyTooLarge(exceptions.APIException):
    """The body is larger than DATA_UPLOAD_MAX_MEMORY_SIZE."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "body_too_large"


class InvalidCursor(exceptions.APIException):
    """The `cursor` query parameter is not one that this API handed out."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "Invalid cursor."
    default_code = "invalid_cursor"


class InvalidPageSize(exceptions.APIException):
    """The `page_size` query parameter is not a positive integer."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = "page_size must be a positive integer."
    default_code = "invalid_page_size"


class ActivityNotFound(exceptions.NotFound):
    """No activity has that uuid (or the uuid is malformed)."""

    default_code = "activity_not_found"


class UserNotFound(exceptions.NotFound):
    """No user has that handle."""

    default_code = "user_not_found"


def error_codes(detail):
    """The codes of an error detail, flattened in order and without repeats."""
    if isinstance(detail, dict):
        detail = list(detail.values())
    if isinstance(detail, list):
        codes = [code for item in detail for code in error_codes(item)]
        return list(dict.fromkeys(codes))
    return [str(detail)]


def api_exception_handler(exc, context):
    """DRF's handler, answering `["code", ...]`: 422 for validation, the exception's status else."""
    # Imported here: rest_framework.views reads the API settings, which import this module.
    from rest_framework.views import set_rollback

    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, PermissionDenied):
        exc = exceptions.PermissionDenied()
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        # Field errors carry the contract's codes as their messages (serializers/fields.py).
        body, status_code = error_codes(exc.detail), status.HTTP_422_UNPROCESSABLE_ENTITY
    else:
        body, status_code = error_codes(exc.get_codes()), exc.status_code
    set_rollback()
    return Response(body, status=status_code, headers=headers)


def is_api_request(request):
    """True for paths served by the API, whose errors must be JSON."""
    return request.path.startswith(API_PATH_PREFIXES)


def bad_request(request, exception):
    """400 outside a view (a disallowed host, a malformed request)."""
    if is_api_request(request):
        return JsonResponse(["bad_request"], safe=False, status=400)
    return defaults.bad_request(request, exception)


def permission_denied(request, exception):
    """403 outside DRF (a CSRF failure)."""
    if is_api_request(request):
        return JsonResponse(["permission_denied"], safe=False, status=403)
    return defaults.permission_denied(request, exception)


def page_not_found(request, exception):
    """404 for a path that matches no URL."""
    if is_api_request(request):
        return JsonResponse(["not_found"], safe=False, status=404)
    return defaults.page_not_found(request, exception)


def server_error(request):
    """500 for an unhandled exception; the traceback goes to the log, never to the client."""
    if is_api_request(request):
        return JsonResponse(["internal_server_error"], safe=False, status=500)
    return defaults.server_error(request)
