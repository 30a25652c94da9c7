"""Request bodies sent with `Transfer-Encoding: chunked` and no Content-Length: read, not lost.

Django's WSGIRequest reads as many bytes as CONTENT_LENGTH says, and none when it is absent, so a
chunked POST reached the views with an empty body and answered 422 `message_blank`: the post was
lost. Django reads chunked bodies only under ASGI. gunicorn de-chunks a body itself and says that
its input ends where the body does (`wsgi.input_terminated`); there this middleware reads the body
(up to DATA_UPLOAD_MAX_MEMORY_SIZE, beyond which it answers 413 `body_too_large`) and hands Django
a body with a Content-Length, served from then on exactly as one sent with it. `manage.py
runserver` (wsgiref) does not de-chunk; there the answer is 411 `length_required`.

A body that breaks off before its last chunk never reaches Django: gunicorn's reader raises, and
gunicorn answers or drops the connection itself, as for any malformed request.
"""

import io
import json
from http import HTTPStatus

from django.conf import settings

READ_SIZE = 64 * 1024


class ChunkedBodyMiddleware:
    """Wraps the WSGI application: a request without Transfer-Encoding, or with a Content-Length,
    passes through untouched; a chunked one is read whole first, or refused."""

    def __init__(self, application):
        self.application = application

    def __call__(self, environ, start_response):
        if "HTTP_TRANSFER_ENCODING" not in environ or environ.get("CONTENT_LENGTH"):
            return self.application(environ, start_response)
        if not environ.get("wsgi.input_terminated"):
            return error_response(start_response, HTTPStatus.LENGTH_REQUIRED, "length_required")
        body = read_body(environ["wsgi.input"], settings.DATA_UPLOAD_MAX_MEMORY_SIZE)
        if body is None:
            return error_response(
                start_response, HTTPStatus.REQUEST_ENTITY_TOO_LARGE, "body_too_large"
            )
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        return self.application(environ, start_response)


def read_body(stream, limit):
    """The body to its end, or None as soon as it is longer than `limit` bytes (None: no limit,
    as Django reads that setting)."""
    parts, size = [], 0
    while part := stream.read(READ_SIZE):
        parts.append(part)
        size += len(part)
        if limit is not None and size > limit:
            return None
    return b"".join(parts)


def error_response(start_response, status, code):
    """`["code"]` in JSON, as the API's other errors. The body is an iterator, so that the server
    cannot tell its length: runserver then closes the connection, on which the chunks it never
    read would otherwise be taken for the next request."""
    body = json.dumps([code]).encode()
    start_response(f"{status.value} {status.phrase}", [("Content-Type", "application/json")])
    return iter((body,))
