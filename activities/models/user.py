"""Cruddur's users: the people who post activities and send messages."""

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone


class UserQuerySet(models.QuerySet):
    """Look-ups of users by the handles that URLs and request bodies carry."""

    def by_handle(self, handle):
        """The user with this handle, or None. A handle no user can have (a NUL character, over
        the field's length) never reaches the database, which would refuse it differently on
        SQLite and PostgreSQL."""
        return self.filter(handle=handle).first() if User.could_have(handle) else None

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

    @staticmethod
    def could_have(handle):
        """False for a handle no user can have (not text, a NUL character, over the field's
        length), which never reaches the database: SQLite and PostgreSQL refuse it differently."""
        max_length = User._meta.get_field("handle").max_length
        return isinstance(handle, str) and "\x00" not in handle and 0 < len(handle) <= max_length
