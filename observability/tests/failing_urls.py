"""The app's URLs plus one view that fails, for the tests of error reporting."""

import logging

from django.http import HttpResponse
from django.urls import path

from cruddur.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cruddur.urls import urlpatterns as app_urlpatterns


def explode(request):
    raise RuntimeError("the test view failed on purpose")


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
