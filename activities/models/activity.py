"""Activities: the posts of the feeds, and the replies to them."""

import uuid

from django.db import models
from django.utils import timezone


class ActivityQuerySet(models.QuerySet):
    """Selections of activities for the ORM's users (the lists read through activities.feeds)."""

    def top_level(self):
        """Activities that are not replies."""
        return self.filter(reply_to__isnull=True)


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
    # Every index below leaves out the rows it never serves (a top-level activity has no
    # reply_to, thread or reply_to_user), so a post writes no more index entries than it is read
    # by; the indexes of the three foreign keys to activities and users are those below.
    reply_to = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="replies",
        db_index=False,
    )  # fmt: skip
    # The top-level activity a reply belongs to, however deep it answers: a reply to a reply
    # shows in its thread (null for a top-level activity).
    thread = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="thread_replies",
        db_index=False,
    )  # fmt: skip
    # The author of the activity a reply answers: the acting user's notifications, newest first,
    # read in index order (null for a top-level activity).
    reply_to_user = models.ForeignKey(
        "activities.User", null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        db_index=False,
    )  # fmt: skip

    objects = ActivityQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            # A reply's answers, and deleting an activity's replies.
            models.Index(
                fields=["reply_to", "-created_at"],
                condition=models.Q(reply_to__isnull=False),
                name="activity_answers_idx",
            ),
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
            models.Index(
                fields=["reply_to_user", "-created_at", "-uuid"],
                condition=models.Q(reply_to_user__isnull=False),
                name="activity_notification_idx",
            ),
            # The replies a thread shows, oldest first, read in index order.
            models.Index(
                fields=["thread", "created_at", "uuid"],
                condition=models.Q(thread__isnull=False),
                name="activity_thread_time_idx",
            ),
        ]
        verbose_name_plural = "activities"

    def __str__(self):
        return f"{self.user_id}: {self.message[:40]}"

    def save(self, *args, **kwargs):
        """A reply takes its thread and the author it answers from its parent (bulk_create, which
        skips this, must set them)."""
        if self.reply_to_id is not None and None in (self.thread_id, self.reply_to_user_id):
            parent = self.reply_to
            self.thread_id = self.thread_id or parent.thread_id or parent.pk
            self.reply_to_user_id = self.reply_to_user_id or parent.user_id
        super().save(*args, **kwargs)
