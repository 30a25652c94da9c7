"""Loads the seed content into a fresh database, so the API has something to show at once."""

from django.db import migrations


def load(apps, schema_editor):
    from activities.seed import load_seed

    load_seed(apps)


class Migration(migrations.Migration):
    dependencies = [("activities", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
