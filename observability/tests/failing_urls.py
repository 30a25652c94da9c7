"""The app's URLs plus one view that fails, for the tests of error reporting."""

import logging

from django.http import HttpResponse
from django.urls import path

from cruddur.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cruddur.urls import urlpatterns as app_urlpatterns


def explode(request):
    # The message quotes the request, query string and all, as real errors do: a secret sent in
    # it must be scrubbed wherever the exception's text goes (test_scrubbing.py).
    raise RuntimeError(f"the test view failed on purpose at {request.get_full_path()}")


def log_badly(request):
    """A log call whose arguments do not fit its format, as any library might make."""
    logging.getLogger("observability.tests.bad_caller").warning("%s and %s", "only one")
    logging.getLogger("observability.tests.bad_caller").warning("%d items", "not a number")
    return HttpResponse("logged")


urlpatterns = [
    path("api/test/explode", explode),
    path("api/test/log-badly", log_badly),
    *app_urlpatterns,
]
