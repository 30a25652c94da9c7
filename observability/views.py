"""The Flask original's Rollbar test page."""

from django.http import HttpResponse

from observability.providers import registry


def rollbar_test(request):
    """Reports "Hello World!" at level warning to Rollbar (when it is on) and answers it."""
    if registry["rollbar"].active:
        import rollbar

        rollbar.report_message("Hello World!", "warning", request=request)
    return HttpResponse("Hello World!", content_type="text/plain")
