"""`manage.py seed_volume` adds the rows it is asked for, and they look like real use: replies
after their parents, replies_count equal to the replies, times spread over the past."""

import datetime
import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F
from django.utils import timezone

from activities import seed
from activities.models import Activity, User


def seed_volume(**options):
    output = io.StringIO()
    call_command("seed_volume", stdout=output, **options)
    return output.getvalue()


@pytest.mark.django_db
def test_adds_the_counts_asked_for_beside_the_seed(seeded):
    output = seed_volume(activities=200, replies=400, users=5)
    assert "Added 200 activities and 400 replies by 8 users." in output
    assert Activity.objects.top_level().count() == 4 + 200
    assert Activity.objects.filter(reply_to__isnull=False).count() == 1 + 400
    assert User.objects.filter(handle__startswith="volume").count() == 5
    assert Activity.objects.filter(pk=seed.CLOUD_IS_VERY_FUN, replies_count=1).exists()


@pytest.mark.django_db
def test_rows_look_like_use(seeded):
    started = timezone.now()
    seed_volume(activities=200, replies=400, users=5, days=100)
    counted = Activity.objects.annotate(replies_found=Count("replies"))
    assert not counted.exclude(replies_count=F("replies_found")).exists()
    volume = Activity.objects.filter(user__handle__startswith="volume")
    assert volume.exists()
    replies = Activity.objects.filter(reply_to__isnull=False).exclude(pk=seed.NO_HONOR_REPLY)
    assert not replies.filter(created_at__lte=F("reply_to__created_at")).exists()
    assert not replies.exclude(expires_at=None).exists()
    # In their threads, naming whom they answer, as replies the API stores (the feeds read these).
    assert not replies.exclude(thread=F("reply_to")).exists()
    assert not replies.exclude(reply_to_user=F("reply_to__user")).exists()
    assert not Activity.objects.filter(created_at__gt=timezone.now()).exists()
    times = sorted(Activity.objects.top_level().values_list("created_at", flat=True))
    assert times[0] < started - datetime.timedelta(days=80)  # spread over the 100 days
    assert times[0] > started - datetime.timedelta(days=101)
    parents = replies.values("reply_to").distinct().count()
    assert 50 < parents < 200  # spread at random, some threads longer than others
    assert len({len(text) for text in volume.values_list("message", flat=True)}) > 20


@pytest.mark.django_db
def test_the_same_seed_makes_the_same_rows():
    Activity.objects.all().delete()
    seed_volume(activities=20, replies=30, users=2, seed=7)
    first = set(Activity.objects.values_list("uuid", "message", "reply_to"))
    Activity.objects.all().delete()
    seed_volume(activities=20, replies=30, users=2, seed=7)
    again = set(Activity.objects.values_list("uuid", "message", "reply_to"))
    assert first == again
    assert len(first) == 50


@pytest.mark.django_db
def test_replies_need_activities():
    with pytest.raises(CommandError, match="Replies need activities"):
        seed_volume(activities=0, replies=5)


@pytest.mark.django_db
def test_older_data_leaves_the_first_page_as_it_was(seeded, api):
    """The benchmark's "full page" and "volume" data sets answer the same first page: what
    --older-than-days adds is older than all of it, so only the table's size differs."""
    seed_volume(activities=60, replies=120, users=5, days=30)
    first_page = api.get("/api/activities/home").json()
    assert len(first_page) == 20
    assert any(item["replies"] for item in first_page)
    seed_volume(activities=300, replies=600, users=5, days=300, older_than_days=30, seed=1)
    assert Activity.objects.top_level().count() == 4 + 60 + 300
    assert api.get("/api/activities/home").json() == first_page
