"""The message endpoints: the acting user's conversations, one conversation, sending a message."""

from drf_spectacular.utils import extend_schema_view
from rest_framework import generics

from activities.exceptions import UserNotFound
from activities.models import Message, MessageGroup, User
from activities.schema import HANDLE, USER_NOT_FOUND, errors, example, reading, writing
from activities.serializers.messages import MessageGroupSerializer, MessageSerializer
from activities.views.base import ContractMixin, CreateMixin

MESSAGE_INVALID = errors(
    "A field is missing or invalid",
    "message_blank", "message_exceed_max_chars", "message_invalid",
    "user_reciever_handle_blank", "user_reciever_handle_invalid",
)  # fmt: skip


@extend_schema_view(get=reading(MessageGroupSerializer(many=True), paged=True))
class MessageGroupsView(ContractMixin, generics.ListAPIView):
    """The acting user's conversations, the latest first."""

    serializer_class = MessageGroupSerializer
    ordering = "-latest_message_at"

    def get_queryset(self):
        return MessageGroup.objects.inbox_of(User.objects.acting())


@extend_schema_view(
    get=reading(MessageGroupSerializer(many=True), paged=True),
    post=writing(
        MessageSerializer,
        MessageSerializer,
        invalid=MESSAGE_INVALID,
        not_found=USER_NOT_FOUND,
        examples=example({"message": "Cloud is fun!", "user_receiver_handle": "worf"}),
    ),
)
class MessagesView(CreateMixin, MessageGroupsView):
    """POST a message from the acting user; GET lists the conversations, as /api/message_groups."""

    def get_serializer_class(self):
        return MessageSerializer if self.request.method == "POST" else MessageGroupSerializer

    def perform_create(self, serializer):
        serializer.save(user=User.objects.acting())


@extend_schema_view(
    get=reading(
        MessageSerializer(many=True), paged=True, not_found=USER_NOT_FOUND, parameters=[HANDLE]
    )
)
class ConversationView(ContractMixin, generics.ListAPIView):
    """The messages between the acting user and another user, oldest first."""

    serializer_class = MessageSerializer
    ordering = "created_at"

    def get_queryset(self):
        other = User.objects.by_handle(self.kwargs["handle"])
        if other is None:
            raise UserNotFound()
        group = MessageGroup.objects.between(User.objects.acting(), other)
        return Message.objects.filter(group=group).select_related("user")
