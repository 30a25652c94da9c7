"""Messages and conversations as the contract shows them, and the validation of new messages."""

from django.db import transaction
from rest_framework import serializers

from activities.exceptions import UserNotFound
from activities.models import Message, MessageGroup, User
from activities.serializers.base import RequestSerializer
from activities.serializers.fields import IsoDateTimeField, TextField, error_codes


class MessageSerializer(RequestSerializer, serializers.ModelSerializer):
    """A message by its sender; on input, a message from the acting user to another user."""

    MAX_CHARS = 1024

    message = TextField(max_length=MAX_CHARS, error_messages=error_codes("message"))
    # The contract keeps the original's spelling of the code: user_reciever_handle_blank.
    user_receiver_handle = TextField(
        write_only=True, error_messages=error_codes("user_reciever_handle")
    )
    display_name = serializers.CharField(source="user.display_name", read_only=True)
    handle = serializers.CharField(source="user.handle", read_only=True)
    created_at = IsoDateTimeField(read_only=True)

    class Meta:
        model = Message
        fields = ["uuid", "display_name", "handle", "message", "created_at", "user_receiver_handle"]
        read_only_fields = ["uuid"]

    def create(self, validated_data):
        """Send the message, opening the conversation with the receiver on first use."""
        handle = validated_data.pop("user_receiver_handle").removeprefix("@")
        receiver = User.objects.by_handle(handle)
        if receiver is None:
            raise UserNotFound()
        with transaction.atomic():
            group = MessageGroup.objects.get_or_create_between(validated_data["user"], receiver)
            return Message.objects.create(group=group, **validated_data)


class MessageGroupSerializer(serializers.ModelSerializer):
    """A conversation seen by the acting user: the other person, and the latest message."""

    display_name = serializers.CharField(source="other_display_name", read_only=True)
    handle = serializers.CharField(source="other_handle", read_only=True)
    message = serializers.CharField(source="latest_message", read_only=True)
    created_at = IsoDateTimeField(source="latest_message_at", read_only=True)

    class Meta:
        model = MessageGroup
        fields = ["uuid", "display_name", "handle", "message", "created_at"]
        read_only_fields = fields
