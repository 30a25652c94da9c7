"""Direct messages between two users, grouped into one conversation per pair."""

import uuid

from django.db import models
from django.utils import timezone


class MessageGroupQuerySet(models.QuerySet):
    """Conversations opened by their participants (lists read through activities.conversations)."""

    def get_or_create_between(self, one, other):
        """The conversation between two users, created on first use."""
        first, second = MessageGroup.ordered_pair(one, other)
        group, _ = self.get_or_create(first_user=first, second_user=second)
        return group


class MessageGroup(models.Model):
    """The conversation of two users; the pair is stored in a fixed order so it is unique."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    first_user = models.ForeignKey("activities.User", on_delete=models.CASCADE, related_name="+")
    second_user = models.ForeignKey("activities.User", on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    objects = MessageGroupQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["first_user", "second_user"], name="one_group_per_pair"
            ),
        ]

    def __str__(self):
        return f"{self.first_user_id} & {self.second_user_id}"

    @staticmethod
    def ordered_pair(one, other):
        """The two users in the order the table keeps them (by primary key)."""
        return (one, other) if str(one.pk) <= str(other.pk) else (other, one)


class Message(models.Model):
    """One message, sent by `user` within a conversation."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    group = models.ForeignKey(MessageGroup, on_delete=models.CASCADE, related_name="messages")
    user = models.ForeignKey("activities.User", on_delete=models.CASCADE, related_name="messages")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["group", "created_at"], name="message_group_idx")]

    def __str__(self):
        return f"{self.user_id}: {self.message[:40]}"
