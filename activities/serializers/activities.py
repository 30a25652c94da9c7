"""Activities as the contract shows them, and the validation of new activities and replies."""

import datetime

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from rest_framework import serializers

from activities.models import Activity
from activities.serializers.base import RequestSerializer
from activities.serializers.fields import IsoDateTimeField, TextField, error_codes

TTLS = {
    "30-days": datetime.timedelta(days=30),
    "7-days": datetime.timedelta(days=7),
    "3-days": datetime.timedelta(days=3),
    "1-day": datetime.timedelta(days=1),
    "12-hours": datetime.timedelta(hours=12),
    "3-hours": datetime.timedelta(hours=3),
    "1-hour": datetime.timedelta(hours=1),
}


class ReplySerializer(RequestSerializer, serializers.ModelSerializer):
    """An activity without its own replies: a reply, or any activity nested in another."""

    MAX_CHARS = 1024

    # Every field declared: a ModelSerializer builds the fields it infers from the model anew for
    # each request, which cost a POST more than its queries.
    uuid = serializers.UUIDField(read_only=True)
    message = TextField(max_length=MAX_CHARS, error_messages=error_codes("message"))
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    handle = serializers.CharField(source="user.handle", read_only=True)
    created_at = IsoDateTimeField(read_only=True)
    expires_at = IsoDateTimeField(read_only=True, allow_null=True)  # null for a reply
    likes_count = serializers.IntegerField(read_only=True)
    replies_count = serializers.IntegerField(read_only=True)
    reposts_count = serializers.IntegerField(read_only=True)
    reply_to_activity_uuid = serializers.UUIDField(
        source="reply_to_id", read_only=True, allow_null=True
    )  # null for a top-level activity

    class Meta:
        model = Activity
        fields = [
            "uuid",
            "display_name",
            "handle",
            "message",
            "created_at",
            "expires_at",
            "likes_count",
            "replies_count",
            "reposts_count",
            "reply_to_activity_uuid",
        ]

    def create(self, validated_data):
        """Save the reply and count it on its parent and, for a reply to a reply, on the top of
        its thread too (whose replies_count counts the thread it shows), in one transaction."""
        with transaction.atomic():
            reply = Activity.objects.create(**validated_data)
            for counted in {reply.reply_to_id, reply.thread_id}:
                Activity.objects.filter(pk=counted).update(replies_count=F("replies_count") + 1)
        return reply


class ActivitySerializer(ReplySerializer):
    """An activity with its replies (oldest first); on input, a new top-level activity."""

    MAX_CHARS = 280

    message = TextField(max_length=MAX_CHARS, error_messages=error_codes("message"))
    ttl = serializers.ChoiceField(
        choices=list(TTLS), write_only=True, error_messages=error_codes("ttl")
    )
    # Output of a created activity only: the lists read through activities.feeds.
    replies = ReplySerializer(many=True, read_only=True, source="reply_preview")

    class Meta(ReplySerializer.Meta):
        fields = [*ReplySerializer.Meta.fields, "replies", "ttl"]

    def create(self, validated_data):
        ttl = validated_data.pop("ttl")
        validated_data["expires_at"] = timezone.now() + TTLS[ttl]
        activity = Activity.objects.create(**validated_data)
        activity.reply_preview = []  # a new activity shows no replies yet
        return activity


class SearchSerializer(RequestSerializer):
    """The query of the search endpoint."""

    # As long as an activity's message; the longest URL it makes fits gunicorn's request line.
    term = TextField(
        max_length=ActivitySerializer.MAX_CHARS, error_messages=error_codes("search_term")
    )
