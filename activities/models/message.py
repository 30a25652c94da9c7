"""Direct messages between two users, grouped into one conversation per pair."""

import uuid

from django.db import models
from django.db.models import Case, F, OuterRef, Q, Subquery, When
from django.utils import timezone


class MessageGroupQuerySet(models.QuerySet):
    """Conversations looked up by their participants."""

    def involving(self, user):
        """The conversations that `user` takes part in."""
        return self.filter(Q(first_user=user) | Q(second_user=user))

    def inbox_of(self, user):
        """`user`'s conversations with the other person and the latest message, in one query."""
        latest = Message.objects.filter(group=OuterRef("pk")).order_by("-created_at")

        def other_users(field):
            return Case(
                When(first_user=user, then=F(f"second_user__{field}")),
                default=F(f"first_user__{field}"),
            )

        return (
            self.involving(user)
            .annotate(
                other_handle=other_users("handle"),
                other_display_name=other_users("display_name"),
                latest_message=Subquery(latest.values("message")[:1]),
                latest_message_at=Subquery(latest.values("created_at")[:1]),
            )
            .filter(latest_message_at__isnull=False)
        )

    def between(self, one, other):
        """The conversation between two users, or None."""
        first, second = MessageGroup.ordered_pair(one, other)
        return self.filter(first_user=first, second_user=second).first()

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

    def other_user(self, user):
        """The participant who is not `user`."""
        return self.second_user if self.first_user_id == user.pk else self.first_user


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
