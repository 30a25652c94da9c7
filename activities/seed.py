"""The original Cruddur's mock content, loaded into a fresh database with times relative to now.

`load_seed` takes an app registry so that the data migration can call it with its historical
models and the `seed` command with the live ones.
"""

import datetime
import uuid

from django.apps import apps as live_apps
from django.db import transaction
from django.utils import timezone

USERS = [("andrewbrown", "Andrew Brown"), ("worf", "Worf"), ("garek", "Garek")]
CLOUD_IS_VERY_FUN = uuid.UUID("68f126b0-1ceb-4a33-88be-d90fa7109eee")
NO_HONOR_REPLY = uuid.UUID("26e12864-1c26-5c3a-9658-97a10f8fea67")
PRUNE_JUICE = uuid.UUID("66e12864-8c26-4c3a-9658-95a10f8fea67")
SIMPLE_TAILOR = uuid.UUID("248959df-3079-4947-b847-9e0892d1bab4")
CLOUD_IS_FUN = uuid.UUID("5b2c3ad4-6f0e-4a3b-9d3e-0c5a1f7e2b10")
CONVERSATION = uuid.UUID("24b95582-9e7b-4e0a-9ad1-639773ab7552")
MESSAGES = [
    (uuid.UUID("4e81c06a-db0f-4281-b4cc-98208537772a"), "Cloud is fun!"),
    (uuid.UUID("66e12864-8c26-4c3a-9658-95a10f8fea67"), "This platform is great!"),
]


def load_seed(apps=live_apps):
    """Replace every user, activity and message with the seed content."""
    User = apps.get_model("activities", "User")
    Activity = apps.get_model("activities", "Activity")
    MessageGroup = apps.get_model("activities", "MessageGroup")
    Message = apps.get_model("activities", "Message")
    now = timezone.now()
    day, hour = datetime.timedelta(days=1), datetime.timedelta(hours=1)

    with transaction.atomic():
        for model in (Message, MessageGroup, Activity, User):
            model.objects.all().delete()
        users = {
            handle: User.objects.create(handle=handle, display_name=name, created_at=now - 30 * day)
            for handle, name in USERS
        }

        def activity(pk, handle, message, created, **fields):
            return Activity.objects.create(
                uuid=pk, user=users[handle], message=message, created_at=created, **fields
            )

        parent = activity(
            CLOUD_IS_VERY_FUN,
            "andrewbrown",
            "Cloud is very fun!",
            now - 2 * day,
            expires_at=now + 5 * day,
            likes_count=5,
            replies_count=1,
        )
        activity(NO_HONOR_REPLY, "worf", "This post has no honor!", now - 2 * day, reply_to=parent)
        activity(
            PRUNE_JUICE, "worf", "I am out of prune juice", now - 7 * day, expires_at=now + 9 * day
        )
        activity(
            SIMPLE_TAILOR,
            "garek",
            "My dear doctor, I am just simple tailor",
            now - hour,
            expires_at=now + 12 * hour,
        )
        activity(CLOUD_IS_FUN, "andrewbrown", "Cloud is fun!", now - day, expires_at=now + 31 * day)

        pair = sorted([users["andrewbrown"], users["worf"]], key=lambda user: str(user.pk))
        group = MessageGroup.objects.create(
            uuid=CONVERSATION, first_user=pair[0], second_user=pair[1], created_at=now - 2 * hour
        )
        for minutes_ago, (pk, text) in zip((2, 1), MESSAGES, strict=True):
            Message.objects.create(
                uuid=pk,
                group=group,
                user=users["andrewbrown"],
                message=text,
                created_at=now - datetime.timedelta(minutes=minutes_ago),
            )
