"""The Cruddur API's paths, exactly as the contract spells them (no trailing slashes)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from activities.views import activities, messages, root

urlpatterns = [
    path("api", root.ApiRootView.as_view(), name="api-root"),
    path("api/schema", SpectacularAPIView.as_view(), name="schema"),
    path(
        "api/schema/swagger-ui",
        SpectacularSwaggerView.as_view(url_name="schema"),
        name="swagger-ui",
    ),
    path(
        "api/schema/redoc",
        SpectacularRedocView.as_view(url_name="schema", template_name="activities/redoc.html"),
        name="redoc",
    ),
    path("api/health-check", root.HealthCheckView.as_view(), name="health-check"),
    path("api/activities", activities.ActivitiesView.as_view(), name="activities"),
    path("api/activities/home", activities.HomeFeedView.as_view(), name="home-feed"),
    path(
        "api/activities/notifications",
        activities.NotificationsFeedView.as_view(),
        name="notifications-feed",
    ),
    path("api/activities/search", activities.SearchView.as_view(), name="search"),
    path("api/activities/@<str:handle>", activities.UserFeedView.as_view(), name="user-feed"),
    path(
        "api/activities/<str:activity_uuid>",
        activities.ActivityDetailView.as_view(),
        name="activity-detail",
    ),
    path(
        "api/activities/<str:activity_uuid>/reply",
        activities.RepliesView.as_view(),
        name="activity-replies",
    ),
    path("api/message_groups", messages.MessageGroupsView.as_view(), name="message-groups"),
    path("api/messages", messages.MessagesView.as_view(), name="messages"),
    path("api/messages/@<str:handle>", messages.ConversationView.as_view(), name="conversation"),
]
