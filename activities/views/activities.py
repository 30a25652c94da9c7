"""The activity endpoints: the feeds, search, one activity, and posting activities and replies."""

import contextlib
import json
import logging
import uuid

from aws_xray_sdk.core import xray_recorder
from django.utils import timezone
from drf_spectacular.utils import extend_schema_view
from opentelemetry import trace
from rest_framework import generics
from rest_framework.response import Response

from activities import feeds
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
from activities.selections import acting_user_key, db_uuid, user_key
from activities.serializers.activities import ActivitySerializer, ReplySerializer, SearchSerializer
from activities.views.base import ContractMixin, CreateMixin, SelectionListMixin

logger = logging.getLogger(__name__)
home_tracer = trace.get_tracer("home.activities")
user_feed_tracer = trace.get_tracer("user.activities")


def child_span(tracer, name):
    """A span named `name` under the request's; none (a no-op) in a request nobody traces, where
    even a no-op span's context manager costs more than asking."""
    if trace.get_current_span().is_recording():
        return tracer.start_as_current_span(name)
    return contextlib.nullcontext(trace.INVALID_SPAN)


def activity_key(value):
    """The uuid in the URL; 404 activity_not_found for a malformed one."""
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ActivityNotFound() from None


def find_activity(value):
    """The activity with the uuid in the URL; 404 activity_not_found, also for a malformed uuid."""
    try:
        return Activity.objects.get(pk=activity_key(value))  # no ORDER BY, unlike first()
    except Activity.DoesNotExist:
        raise ActivityNotFound() from None


class ActivityListView(SelectionListMixin, ContractMixin, generics.ListAPIView):
    """A list of activities, each with the replies it shows."""

    serializer_class = ActivitySerializer

    def complete(self, page):
        return feeds.with_replies(page)


MESSAGE_CODES = ("message_blank", "message_exceed_max_chars", "message_invalid")
ACTIVITY_INVALID = errors("A field is missing or invalid", *MESSAGE_CODES, "ttl_blank")
REPLY_INVALID = errors("The message is missing or invalid", *MESSAGE_CODES)
SEARCH_INVALID = errors(
    "The term is missing or invalid",
    "search_term_blank", "search_term_exceed_max_chars", "search_term_invalid",
)  # fmt: skip


@extend_schema_view(get=reading(ActivitySerializer(many=True), paged=True))
class HomeFeedView(ActivityListView):
    """Top-level activities of everyone, newest first, each with its thread."""

    def get_queryset(self):
        return feeds.home()

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
class NotificationsFeedView(ActivityListView):
    """Replies by others to the acting user's activities, newest first."""

    def get_queryset(self):
        return feeds.notifications(acting_user_key())


@extend_schema_view(
    get=reading(
        ActivitySerializer(many=True), paged=True, not_found=USER_NOT_FOUND, parameters=[HANDLE]
    )
)
class UserFeedView(ActivityListView):
    """One user's top-level activities, newest first."""

    def get_queryset(self):
        user = user_key(self.kwargs["handle"])
        if user is None:
            raise UserNotFound()
        return feeds.by_user(user)

    def list(self, request, *args, **kwargs):
        # The mock-data subsegment, through whichever source X-Ray uses: an OpenTelemetry span
        # (its aws.xray.metadata.<namespace> attribute is the subsegment's metadata), or the
        # X-Ray SDK's subsegment. Each is a no-op unless its tracing is on and samples this
        # request.
        with (
            child_span(user_feed_tracer, "mock-data") as span,
            xray_recorder.in_subsegment("mock-data") as subsegment,
        ):
            response = super().list(request, *args, **kwargs)
            recording = span.is_recording()
            # The SDK yields a dummy, never sent, when it is off or the request is not sampled.
            sampled = subsegment is not None and subsegment.sampled
            if recording or sampled:
                metadata = {"now": timezone.now().isoformat(), "results-size": len(response.data)}
                if recording:
                    span.set_attribute("aws.xray.metadata.namespace", json.dumps({"key": metadata}))
                if sampled:
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
class SearchView(ActivityListView):
    """Activities whose message contains `term`, case-insensitively, newest first."""

    def get_queryset(self):
        query = SearchSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return feeds.search(query.validated_data["term"])


@extend_schema_view(
    get=reading(ActivitySerializer, not_found=ACTIVITY_NOT_FOUND, parameters=[ACTIVITY_UUID])
)
class ActivityDetailView(ContractMixin, generics.RetrieveAPIView):
    """One activity with its replies."""

    serializer_class = ActivitySerializer

    def retrieve(self, request, *args, **kwargs):
        activity = feeds.one(db_uuid(activity_key(self.kwargs["activity_uuid"])))
        if activity is None:
            raise ActivityNotFound()
        return Response(activity)


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
class RepliesView(CreateMixin, SelectionListMixin, ContractMixin, generics.ListAPIView):
    """POST a reply to an activity (or to a reply: it joins the same thread) as the acting user;
    GET lists the replies the activity shows, oldest first: a thread, or a reply's answers."""

    serializer_class = ReplySerializer
    ordering = "created_at"

    def get_queryset(self):
        replies = feeds.replies_shown(db_uuid(activity_key(self.kwargs["activity_uuid"])))
        if replies is None:
            raise ActivityNotFound()
        return replies

    def create(self, request, *args, **kwargs):
        self.parent = find_activity(self.kwargs["activity_uuid"])
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        serializer.save(user=User.objects.acting(), reply_to=self.parent)
