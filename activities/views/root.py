"""The API's front door: the index of endpoints, and the health check."""

from django.db import DatabaseError, connection
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.reverse import reverse
from rest_framework.views import APIView

from activities.schema import common_errors
from activities.views.base import ContractMixin

LINKS = (
    "activities", "home", "notifications", "user_activities", "search", "activity", "reply",
    "message_groups", "messages", "conversation", "health_check", "schema", "swagger_ui", "redoc",
)  # fmt: skip
HEALTH = {
    "type": "object",
    "properties": {"success": {"type": "boolean"}},
    "required": ["success"],
}

EXAMPLE_ACTIVITY = "68f126b0-1ceb-4a33-88be-d90fa7109eee"


class ApiRootView(ContractMixin, APIView):
    """Every endpoint of the Cruddur API, as links a browser can follow."""

    @extend_schema(
        responses={
            200: {
                "type": "object",
                "properties": {name: {"type": "string", "format": "uri"} for name in LINKS},
                "required": list(LINKS),
            },
            **common_errors(),
        }
    )
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
                "schema": link("schema"),
                "swagger_ui": link("swagger-ui"),
                "redoc": link("redoc"),
            }
        )


class HealthCheckView(ContractMixin, APIView):
    """200 `{"success": true}` when the database answers, 503 `{"success": false}` when not."""

    @extend_schema(
        responses={
            200: OpenApiResponse(HEALTH, description="The database answers"),
            503: OpenApiResponse(HEALTH, description="The database does not answer"),
            **common_errors(),
        }
    )
    def get(self, request):
        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
        except DatabaseError:
            return Response({"success": False}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
        return Response({"success": True})
