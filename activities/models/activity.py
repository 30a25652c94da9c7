"""Activities: the posts of the feeds, and the replies to them."""

import uuid

from django.db import models
from django.utils import timezone


class ActivityQuerySet(models.QuerySet):
    """Selections of activities for the ORM's users (the lists read through activities.feeds)."""

    def top_level(self):
        """Activities that are not replies."""
        return self.filter(reply_to__isnull=True)

    def with_authors(self):
        """Load each activity's user in the same query."""
        return self.select_related("user")


class Activity(models.Model):
    """A post by a user; a reply is an activity whose `reply_to` is the activity it answers."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey("activities.User", on_delete=models.CASCADE, related_name="activities")
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    likes_count = models.PositiveIntegerField(default=0)
    replies_count = models.PositiveIntegerField(default=0)
    reposts_count = models.PositiveIntegerField(default=0)
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies"
    )
    # The top-level activity a reply belongs to, however deep it answers: a reply to a reply
    # shows in its thread (null for a top-level activity).
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="thread_replies"
    )

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["reply_to", "-created_at"], name="activity_thread_idx"),
            # The home and user feeds: top-level activities, newest first, read in index order
            # (PostgreSQL orders by an index after `IS NULL` only when the index is partial).
            models.Index(
                fields=["-created_at", "-uuid"],
                condition=models.Q(reply_to__isnull=True),
                name="activity_top_level_idx",
            ),
            models.Index(
                fields=["user", "-created_at", "-uuid"],
                condition=models.Q(reply_to__isnull=True),
                name="activity_user_top_level_idx",
            ),
            # The replies a thread shows, oldest first, read in index order.
            models.Index(fields=["thread", "created_at", "uuid"], name="activity_thread_time_idx"),
        ]
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.user_id}: {self.message[:40]}"
