"""Cruddur's users: the people who post activities and send messages."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class UserQuerySet(models.QuerySet):
    """Look-ups of users by the handles that URLs and request bodies carry."""

    def acting(self):
        """The user that every write acts as until sign-in exists (settings.CRUDDUR)."""
        handle = settings.CRUDDUR["ACTING_USER_HANDLE"]
        user, _ = self.get_or_create(handle=handle, defaults={"display_name": handle})
        return user


class User(models.Model):
    """A Cruddur user, known by a unique handle such as `andrewbrown`."""

    uuid = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    handle = models.CharField(max_length=64, unique=True)
    display_name = models.CharField(max_length=128)
    created_at = models.DateTimeField(default=timezone.now)

    objects = UserQuerySet.as_manager()

    class Meta:
        ordering = ["handle"]

    def __str__(self):
        return f"@{self.handle}"
