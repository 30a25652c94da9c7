"""The app's URLs plus views for the telemetry tests: two that fail, for error reporting; one
that logs badly; one whose SQL holds literal values, for the scrubbing of statements."""

import logging

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path

from cruddur.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cruddur.urls import urlpatterns as app_urlpatterns


def explode(request):
    # The message quotes the request, query string and all, as real errors do: a secret sent in
    # it must be scrubbed wherever the exception's text goes (test_scrubbing.py).
    raise RuntimeError(f"the test view failed on purpose at {request.get_full_path()}")


def report_then_explode(request):
    """A view that reports a message to Rollbar with its request, then fails: two items of one
    request."""
    import rollbar

    rollbar.report_message("about to fail", "info", request=request)
    raise RuntimeError("the test view failed on purpose after reporting")


def log_badly(request):
    """A log call whose arguments do not fit its format, as any library might make."""
    logging.getLogger("observability.tests.bad_caller").warning("%s and %s", "only one")
    logging.getLogger("observability.tests.bad_caller").warning("%d items", "not a number")
    return HttpResponse("logged")


# A value written into a statement's text (test_scrubbing.py looks for it in every span).
SQL_LITERAL = "LITERALsentinel1414"
SQL_NUMBER = 73141592653


def sql_literals(request):
    """A query with a string and a number written into it, as hand-written SQL may have."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT '{SQL_LITERAL}' AS probe, {SQL_NUMBER} AS n")
        return JsonResponse({"rows": cursor.fetchall()})


urlpatterns = [
    path("api/test/explode", explode),
    path("api/test/report-then-explode", report_then_explode, name="report-then-explode"),
    path("api/test/log-badly", log_badly),
    path("api/test/sql-literals", sql_literals),
    *app_urlpatterns,
]
