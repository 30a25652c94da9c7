"""Every reply knows its thread (the top-level activity it belongs to), so a reply to a reply shows
in that thread; existing replies are filled in, and each top-level activity counts its thread.
The feeds get indexes that they read in order, so a page costs the same in a table of any size."""

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import Count, F, OuterRef, Subquery


def fill_threads(apps, schema_editor):
    Activity = apps.get_model("activities", "Activity")
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
    dependencies = [("activities", "0002_seed_data")]

    operations = [
        migrations.AddField(
            model_name="activity",
            name="thread",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="thread_replies",
                to="activities.activity",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                fields=["thread", "created_at", "uuid"], name="activity_thread_time_idx"
            ),
        ),
        migrations.RunPython(fill_threads, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="activity", name="activity_user_idx"),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("reply_to__isnull", True)),
                fields=["-created_at", "-uuid"],
                name="activity_top_level_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("reply_to__isnull", True)),
                fields=["user", "-created_at", "-uuid"],
                name="activity_user_top_level_idx",
            ),
        ),
    ]
