"""The API's front door: the index of endpoints, and the health check."""

from django.db import DatabaseError, connection
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.reverse import reverse

from activities.views.base import ContractMixin

EXAMPLE_ACTIVITY = "68f126b0-1ceb-4a33-88be-d90fa7109eee"


class ApiRootView(ContractMixin, generics.GenericAPIView):
    """Every endpoint of the Cruddur API, as links a browser can follow."""

    def get(self, request):
        def link(name, **kwargs):
            return reverse(name, kwargs=kwargs or None, request=request)

        return Response(
            {
                "activities": link("activities"),
                "home": link("home-feed"),
                "notifications": link("notifications-feed"),
                "user_activities": link("user-feed", handle="andrewbrown"),
                "search": link("search") + "?term=cloud",
                "activity": link("activity-detail", activity_uuid=EXAMPLE_ACTIVITY),
                "reply": link("activity-replies", activity_uuid=EXAMPLE_ACTIVITY),
                "message_groups": link("message-groups"),
                "messages": link("messages"),
                "conversation": link("conversation", handle="worf"),
                "health_check": link("health-check"),
            }
        )


class HealthCheckView(ContractMixin, generics.GenericAPIView):
    """200 `{"success": true}` when the database answers, 503 `{"success": false}` when not."""

    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return Response({"success": False}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"success": True})
