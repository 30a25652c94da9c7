"""The message endpoints: the acting user's conversations, one conversation, sending a message."""

from rest_framework import generics

from activities.exceptions import UserNotFound
from activities.models import Message, MessageGroup, User
from activities.serializers.messages import MessageGroupSerializer, MessageSerializer
from activities.views.base import ContractMixin, CreateMixin


class MessageGroupsView(ContractMixin, generics.ListAPIView):
    """The acting user's conversations, the latest first."""

    serializer_class = MessageGroupSerializer
    ordering = "-latest_message_at"

    def get_queryset(self):
        return MessageGroup.objects.inbox_of(User.objects.acting())


class MessagesView(CreateMixin, MessageGroupsView):
    """POST a message from the acting user; GET lists the conversations, as /api/message_groups."""

    def get_serializer_class(self):
        return MessageSerializer if self.request.method == "POST" else MessageGroupSerializer

    def perform_create(self, serializer):
        serializer.save(user=User.objects.acting())


class ConversationView(ContractMixin, generics.ListAPIView):
    """The messages between the acting user and another user, oldest first."""

    serializer_class = MessageSerializer
    ordering = "created_at"

    def get_queryset(self):
        other = User.objects.filter(handle=self.kwargs["handle"]).first()
        if other is None:
            raise UserNotFound()
        group = MessageGroup.objects.between(User.objects.acting(), other)
        return Message.objects.filter(group=group).select_related("user")
