"""The message endpoints: the acting user's conversations, one conversation, sending a message."""

from drf_spectacular.utils import extend_schema_view
from rest_framework import generics

from activities import conversations
from activities.exceptions import UserNotFound
from activities.models import User
from activities.schema import HANDLE, USER_NOT_FOUND, errors, example, reading, writing
from activities.selections import acting_user_key, user_key
from activities.serializers.messages import MessageGroupSerializer, MessageSerializer
from activities.views.base import ContractMixin, CreateMixin, SelectionListMixin

MESSAGE_INVALID = errors(
    "A field is missing or invalid",
    "message_blank", "message_exceed_max_chars", "message_invalid",
    "user_reciever_handle_blank", "user_reciever_handle_invalid",
)  # fmt: skip


@extend_schema_view(get=reading(MessageGroupSerializer(many=True), paged=True))
class MessageGroupsView(SelectionListMixin, ContractMixin, generics.ListAPIView):
    """The acting user's conversations, the latest first."""

    serializer_class = MessageGroupSerializer

    def get_queryset(self):
        return conversations.inbox(acting_user_key())


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
class ConversationView(SelectionListMixin, ContractMixin, generics.ListAPIView):
    """The messages between the acting user and another user, oldest first."""

    serializer_class = MessageSerializer
    ordering = "created_at"

    def get_queryset(self):
        other = user_key(self.kwargs["handle"])
        if other is None:
            raise UserNotFound()
        return conversations.conversation(acting_user_key(), other)
