"""The Flask original's Rollbar test page."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from observability.providers.registry import provider


@csrf_exempt  # it changes nothing; other methods get 405, not CSRF's HTML 403
def rollbar_test(request):
    """Reports "Hello World!" at level warning to Rollbar (when it is on) and answers it. Other
    methods than GET and HEAD answer 405, in JSON like the API's errors."""
    if request.method not in ("GET", "HEAD"):
        response = JsonResponse(["method_not_allowed"], safe=False, status=405)
        response["Allow"] = "GET, HEAD"
        return response
    if provider("rollbar").active:
        import rollbar

        rollbar.report_message("Hello World!", "warning", request=request)
    return HttpResponse("Hello World!", content_type="text/plain")
