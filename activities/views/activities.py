"""The activity endpoints: the feeds, search, one activity, and posting activities and replies."""

import logging
import uuid

from aws_xray_sdk.core import xray_recorder
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from opentelemetry import trace
from rest_framework import generics

from activities.exceptions import ActivityNotFound, UserNotFound
from activities.models import Activity, User
from activities.schema import (
    ACTIVITY_NOT_FOUND,
    ACTIVITY_UUID,
    HANDLE,
    USER_NOT_FOUND,
    errors,
    example,
    reading,
    writing,
)
from activities.serializers.activities import ActivitySerializer, ReplySerializer, SearchSerializer
from activities.views.base import ContractMixin, CreateMixin

logger = logging.getLogger(__name__)
home_tracer = trace.get_tracer("home.activities")


def find_activity(value, queryset=Activity.objects):
    """The activity with the uuid in the URL; 404 activity_not_found, also for a malformed uuid."""
    try:
        key = uuid.UUID(value)
    except ValueError:
        raise ActivityNotFound() from None
    activity = queryset.filter(pk=key).first()
    if activity is None:
        raise ActivityNotFound()
    return activity


MESSAGE_CODES = ("message_blank", "message_exceed_max_chars", "message_invalid")
ACTIVITY_INVALID = errors("A field is missing or invalid", *MESSAGE_CODES, "ttl_blank")
REPLY_INVALID = errors("The message is missing or invalid", *MESSAGE_CODES)
SEARCH_INVALID = errors(
    "The term is missing or invalid",
    "search_term_blank", "search_term_exceed_max_chars", "search_term_invalid",
)  # fmt: skip


@extend_schema_view(get=reading(ActivitySerializer(many=True), paged=True))
class HomeFeedView(ContractMixin, generics.ListAPIView):
    """Top-level activities of everyone, newest first, each with its replies."""

    serializer_class = ActivitySerializer

    def get_queryset(self):
        return Activity.objects.top_level().with_replies()

    def list(self, request, *args, **kwargs):
        logger.info("HomeActivities")
        with home_tracer.start_as_current_span("home-activities-mock-data") as span:
            span.set_attribute("app.now", timezone.now().isoformat())
            response = super().list(request, *args, **kwargs)
            span.set_attribute("app.result_length", len(response.data))
        return response


@extend_schema_view(
    get=reading(ActivitySerializer(many=True), paged=True),
    post=writing(
        ActivitySerializer,
        ActivitySerializer,
        invalid=ACTIVITY_INVALID,
        examples=example({"message": "Cloud is very fun!", "ttl": "7-days"}),
    ),
)
class ActivitiesView(CreateMixin, HomeFeedView):
    """POST a new activity as the acting user; GET lists the same as the home feed."""

    def perform_create(self, serializer):
        serializer.save(user=User.objects.acting())


@extend_schema_view(get=reading(ActivitySerializer(many=True), paged=True))
class NotificationsFeedView(ContractMixin, generics.ListAPIView):
    """Replies by others to the acting user's activities, newest first."""

    serializer_class = ActivitySerializer

    def get_queryset(self):
        user = User.objects.acting()
        return Activity.objects.filter(reply_to__user=user).exclude(user=user).with_replies()


@extend_schema_view(
    get=reading(
        ActivitySerializer(many=True), paged=True, not_found=USER_NOT_FOUND, parameters=[HANDLE]
    )
)
class UserFeedView(ContractMixin, generics.ListAPIView):
    """One user's top-level activities, newest first."""

    serializer_class = ActivitySerializer

    def get_queryset(self):
        user = User.objects.by_handle(self.kwargs["handle"])
        if user is None:
            raise UserNotFound()
        return Activity.objects.top_level().filter(user=user).with_replies()

    def list(self, request, *args, **kwargs):
        # A no-op unless X-Ray is on and this request is sampled.
        with xray_recorder.in_subsegment("mock-data") as subsegment:
            response = super().list(request, *args, **kwargs)
            if subsegment is not None:
                metadata = {"now": timezone.now().isoformat(), "results-size": len(response.data)}
                subsegment.put_metadata("key", metadata, "namespace")
        return response


@extend_schema_view(
    get=reading(
        ActivitySerializer(many=True),
        paged=True,
        invalid=SEARCH_INVALID,
        parameters=[SearchSerializer],
    )
)
class SearchView(ContractMixin, generics.ListAPIView):
    """Activities whose message contains `term`, case-insensitively, newest first."""

    serializer_class = ActivitySerializer

    def get_queryset(self):
        query = SearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        term = query.validated_data["term"]
        return Activity.objects.filter(message__icontains=term).with_replies()


@extend_schema_view(
    get=reading(ActivitySerializer, not_found=ACTIVITY_NOT_FOUND, parameters=[ACTIVITY_UUID])
)
class ActivityDetailView(ContractMixin, generics.RetrieveAPIView):
    """One activity with its replies."""

    serializer_class = ActivitySerializer

    def get_object(self):
        return find_activity(self.kwargs["activity_uuid"], Activity.objects.with_replies())


@extend_schema_view(
    get=reading(
        ReplySerializer(many=True), paged=True, not_found=ACTIVITY_NOT_FOUND,
        parameters=[ACTIVITY_UUID],
    ),
    post=writing(
        ReplySerializer, ReplySerializer, invalid=REPLY_INVALID, not_found=ACTIVITY_NOT_FOUND,
        parameters=[ACTIVITY_UUID], examples=example({"message": "This post has no honor!"}),
    ),
)  # fmt: skip
class RepliesView(CreateMixin, ContractMixin, generics.ListAPIView):
    """POST a reply to an activity as the acting user; GET lists its replies, oldest first."""

    serializer_class = ReplySerializer
    ordering = "created_at"

    def get_queryset(self):
        parent = find_activity(self.kwargs["activity_uuid"])
        return Activity.objects.filter(reply_to=parent).with_authors()

    def create(self, request, *args, **kwargs):
        self.parent = find_activity(self.kwargs["activity_uuid"])
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(user=User.objects.acting(), reply_to=self.parent)
