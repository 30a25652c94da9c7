"""Top-level URLs: the Cruddur API under /api, and JSON error pages for it."""

from django.urls import include, path
from django.views.generic import RedirectView

urlpatterns = [
    path("", RedirectView.as_view(url="/api", permanent=False)),
    path("", include("activities.urls")),
    path("", include("observability.urls")),
]

handler400 = "activities.exceptions.bad_request"
handler403 = "activities.exceptions.permission_denied"
handler404 = "activities.exceptions.page_not_found"
handler500 = "activities.exceptions.server_error"
