"""The app's URLs plus one view that fails, for the tests of error reporting."""

from django.urls import path

from cruddur.urls import handler400, handler403, handler404, handler500  # noqa: F401
from cruddur.urls import urlpatterns as app_urlpatterns


def explode(request):
    raise RuntimeError("the test view failed on purpose")


urlpatterns = [path("api/test/explode", explode), *app_urlpatterns]
