"""Existing replies get their thread and the author they answer, and each top-level activity
counts its whole thread. Apart from 0003: on PostgreSQL, rows updated in a migration hold deferred
foreign-key checks that the indexes 0003 builds at its end would refuse in the same transaction."""

from django.db import migrations
from django.db.models import Count, F, OuterRef, Subquery


def fill_threads(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
    parents_user = Activity.objects.filter(pk=OuterRef("reply_to")).values("user")[:1]
    Activity.objects.filter(reply_to__isnull=False).update(reply_to_user=Subquery(parents_user))
    replies = Activity.objects.filter(reply_to__isnull=False, thread__isnull=True)
    replies.filter(reply_to__reply_to__isnull=True).update(thread=F("reply_to"))
    parents_thread = Activity.objects.filter(pk=OuterRef("reply_to")).values("thread")[:1]
    # One level deeper each time, until no reply is left without its thread.
    while replies.filter(reply_to__thread__isnull=False).update(thread=Subquery(parents_thread)):
        pass
    deeper = (
        Activity.objects.filter(thread=OuterRef("pk"))
        .exclude(reply_to=OuterRef("pk"))
        .order_by()
        .values("thread")
        .annotate(count=Count("pk"))
        .values("count")
    )
    roots = Activity.objects.filter(
        pk__in=Activity.objects.filter(thread__isnull=False)
        .exclude(reply_to=F("thread"))
        .values("thread")
    )
    roots.update(replies_count=F("replies_count") + Subquery(deeper))


class Migration(migrations.Migration):
    dependencies = [("activities", "0003_threads_and_feed_indexes")]

    operations = [migrations.RunPython(fill_threads, migrations.RunPython.noop)]
