"""`manage.py seed_volume`: many users' activities and replies on top of what the database holds,
to measure how the feeds' cost grows with the data (`bench/run --instructions --volume`).

The data is made to look like a year of use: times spread over the past, each reply after its
parent, replies spread at random with a long tail (a few threads draw many, most draw few), and
every parent's replies_count equal to its replies. A fixed `--seed` makes the same rows each time,
so that two benchmark runs count the same work.
"""

import collections
import datetime
import itertools
import random
import uuid

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from activities.models import Activity, User

WORDS = (
    "cloud", "serverless", "container", "bucket", "lambda", "queue", "honor", "tailor", "juice",
    "doctor", "prune", "deploy", "cost", "budget", "region", "zone", "latency", "trace", "span",
    "segment", "log", "alarm", "metric", "fun", "great", "very", "is", "the", "a", "of", "to",
    "in", "on", "my", "our", "your", "today", "again", "never", "always", "why", "how",
)  # fmt: skip
TTLS = [datetime.timedelta(hours=hours) for hours in (1, 3, 12, 24, 72, 168, 720)]


def sentence(rng, longest):
    """A few words from WORDS, at most `longest` characters."""
    text = " ".join(rng.choices(WORDS, k=rng.randint(3, 24))).capitalize() + "."
    return text[:longest]


def seeded_uuid(rng):
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Command(BaseCommand):
    """Adds `--activities` top-level activities and `--replies` replies by `--users` new users."""

    help = "Add many activities and replies, spread over the past, for benchmarks."

    def add_arguments(self, parser):
        parser.add_argument("--activities", type=int, default=100_000)
        parser.add_argument("--replies", type=int, default=200_000)
        parser.add_argument("--users", type=int, default=50, help="new authors, beside the others")
        parser.add_argument("--days", type=int, default=365, help="how far back the times go")
        parser.add_argument(
            "--older-than-days", type=int, default=0,
            help="the newest activity added is this many days old (replies may be newer)",
        )  # fmt: skip
        parser.add_argument("--seed", type=int, default=0, help="the random generator's seed")
        parser.add_argument("--batch-size", type=int, default=5000, help="rows per INSERT batch")

    def handle(
        self, *args, activities, replies, users, days, older_than_days, seed, batch_size, **options
    ):
        if min(activities, replies, users, days, older_than_days) < 0 or batch_size < 1:
            raise CommandError("Counts cannot be negative; --batch-size is 1 or more.")
        if replies and not activities:
            raise CommandError("Replies need activities to reply to.")
        rng = random.Random(seed)
        now = timezone.now()
        with transaction.atomic():
            newest = now - datetime.timedelta(days=older_than_days)
            authors = self.authors(users, newest - datetime.timedelta(days=days + 1))
            parents = self.parents(rng, authors, activities, newest, days)
            children = self.replies(rng, authors, parents, replies, now)
            Activity.objects.bulk_create(parents, batch_size=batch_size)
            Activity.objects.bulk_create(children, batch_size=batch_size)
        self.stdout.write(
            self.style.SUCCESS(
                f"Added {len(parents)} activities and {len(children)} replies "
                f"by {len(authors)} users."
            )
        )

    def authors(self, count, joined):
        """Every user, after creating `count` new ones (handles volume0001...) that are missing."""
        handles = [f"volume{number:04d}" for number in range(1, count + 1)]
        existing = set(User.objects.filter(handle__in=handles).values_list("handle", flat=True))
        User.objects.bulk_create(
            User(handle=handle, display_name=f"Volume {handle[6:]}", created_at=joined)
            for handle in handles
            if handle not in existing
        )
        return list(User.objects.order_by("handle"))

    def parents(self, rng, authors, count, now, days):
        """Top-level activities at random times of the `days` days before `now` (a minute before
        it at least)."""
        span = days * 86_400 - 60
        activities = []
        for _ in range(count):
            created = now - datetime.timedelta(seconds=60 + rng.random() * span)
            activities.append(
                Activity(
                    uuid=seeded_uuid(rng), user=rng.choice(authors),
                    message=sentence(rng, 280), created_at=created,
                    expires_at=created + rng.choice(TTLS), likes_count=rng.randint(0, 40),
                    reposts_count=rng.randint(0, 5),
                )
            )  # fmt: skip
        return activities

    def replies(self, rng, authors, parents, count, now):
        """Replies to random parents, a long tail of them (Pareto weights), each some time after
        its parent and before now; sets every parent's replies_count to its replies."""
        weights = list(itertools.accumulate(rng.paretovariate(1.2) for _ in parents))
        chosen = rng.choices(parents, cum_weights=weights, k=count)
        replies = []
        for parent in chosen:
            after = (now - parent.created_at).total_seconds() - 1
            created = parent.created_at + datetime.timedelta(seconds=1 + after * rng.random() ** 3)
            replies.append(
                Activity(
                    uuid=seeded_uuid(rng), user=rng.choice(authors),
                    message=sentence(rng, 1024), created_at=created, reply_to=parent,
                    thread=parent, reply_to_user=parent.user,  # bulk_create skips save()
                )
            )  # fmt: skip
        for parent, replies_count in collections.Counter(chosen).items():
            parent.replies_count = replies_count
        return replies
