"""Every reply knows its thread (the top-level activity it belongs to), so a reply to a reply shows
in that thread, and the author it answers, for the notifications; 0004 fills both in. The feeds
get indexes that they read in order, so a page costs the same in a table of any size, each leaving
out the rows it never serves."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("activities", "0002_seed_data"),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="activity",
            name="activity_thread_idx",
        ),
        migrations.RemoveIndex(
            model_name="activity",
            name="activity_user_idx",
        ),
        migrations.AddField(
            model_name="activity",
            name="reply_to_user",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to="activities.user",
            ),
        ),
        migrations.AddField(
            model_name="activity",
            name="thread",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="thread_replies",
                to="activities.activity",
            ),
        ),
        migrations.AlterField(
            model_name="activity",
            name="reply_to",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="replies",
                to="activities.activity",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("reply_to__isnull", False)),
                fields=["reply_to", "-created_at"],
                name="activity_answers_idx",
            ),
        ),
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
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("reply_to_user__isnull", False)),
                fields=["reply_to_user", "-created_at", "-uuid"],
                name="activity_notification_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="activity",
            index=models.Index(
                condition=models.Q(("thread__isnull", False)),
                fields=["thread", "created_at", "uuid"],
                name="activity_thread_time_idx",
            ),
        ),
    ]
