"""A fresh database holds the seed content after `migrate`; `manage.py seed` restores it."""

import sqlite3
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from activities import seed
from activities.models import Activity, Message, MessageGroup, User
from activities.tests.live_server import PROJECT_DIR, server_environment


def test_migrate_seeds_a_fresh_database(tmp_path):
    path = tmp_path / "fresh.sqlite3"
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"],
        cwd=PROJECT_DIR, env=server_environment(f"sqlite:///{path}"), check=True,
        capture_output=True,
    )  # fmt: skip
    with sqlite3.connect(path) as connection:
        handles = connection.execute("SELECT handle FROM activities_user ORDER BY handle")
        assert [row[0] for row in handles] == ["andrewbrown", "garek", "worf"]
        count = connection.execute("SELECT count(*) FROM activities_activity").fetchone()[0]
        assert count == 5
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


@pytest.mark.django_db
def test_seed_content_matches_the_contract():
    seed.load_seed()
    parent = Activity.objects.get(pk=seed.CLOUD_IS_VERY_FUN)
    assert (parent.user.handle, parent.message, parent.likes_count) == (
        "andrewbrown",
        "Cloud is very fun!",
        5,
    )
    assert parent.replies.get().pk == seed.NO_HONOR_REPLY
    assert Activity.objects.get(pk=seed.PRUNE_JUICE).user.handle == "worf"
    assert Activity.objects.get(pk=seed.SIMPLE_TAILOR).user.handle == "garek"
    assert Activity.objects.filter(message="Cloud is fun!", user__handle="andrewbrown").exists()
    assert list(Message.objects.values_list("message", flat=True)) == [
        "Cloud is fun!",
        "This platform is great!",
    ]
    assert {u.display_name for u in User.objects.all()} == {"Andrew Brown", "Worf", "Garek"}


@pytest.mark.django_db
def test_seed_command_restores_the_seed(api):
    seed.load_seed()
    api.post("/api/activities", {"message": "extra", "ttl": "1-day"})
    Activity.objects.filter(pk=seed.PRUNE_JUICE).delete()
    call_command("seed", "--noinput")
    assert Activity.objects.count() == 5
    assert not Activity.objects.filter(message="extra").exists()
    assert Activity.objects.filter(pk=seed.PRUNE_JUICE).exists()
    assert MessageGroup.objects.count() == 1


@pytest.mark.django_db
def test_seed_command_asks_before_deleting(monkeypatch):
    seed.load_seed()
    Activity.objects.filter(pk=seed.PRUNE_JUICE).delete()
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError):
        call_command("seed")
    assert not Activity.objects.filter(pk=seed.PRUNE_JUICE).exists()
