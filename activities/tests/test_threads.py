"""A reply to a reply is never invisible: it joins the thread of the top-level activity, shows in
that thread wherever the thread is shown, and among the answers of the reply it answers."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from activities import seed

pytestmark = pytest.mark.usefixtures("seeded")

ROOT, REPLY = str(seed.CLOUD_IS_VERY_FUN), str(seed.NO_HONOR_REPLY)


def reply(api, to, message):
    response = api.post(f"/api/activities/{to}/reply", {"message": message})
    assert response.status_code == 200, response.content
    return response.json()


def thread_in_home(api):
    [root] = [item for item in api.get("/api/activities/home").json() if item["uuid"] == ROOT]
    return root


def test_a_reply_to_a_reply_shows_in_its_thread_on_every_feed_that_shows_the_thread(api):
    answer = reply(api, REPLY, "Worf, you have no honor!")
    deeper = reply(api, answer["uuid"], "Take that back")
    assert answer["reply_to_activity_uuid"] == REPLY

    expected = [
        ("This post has no honor!", ROOT),
        ("Worf, you have no honor!", REPLY),
        ("Take that back", answer["uuid"]),
    ]
    root = thread_in_home(api)
    shown = [(item["message"], item["reply_to_activity_uuid"]) for item in root["replies"]]
    assert shown == expected
    assert root["replies_count"] == 3  # the thread it shows
    user_feed = api.get("/api/activities/@andrewbrown").json()
    [in_user_feed] = [item for item in user_feed if item["uuid"] == ROOT]
    assert in_user_feed["replies"] == root["replies"]
    assert api.get(f"/api/activities/{ROOT}").json()["replies"] == root["replies"]
    listed = api.get(f"/api/activities/{ROOT}/reply").json()
    assert [item["message"] for item in listed] == [message for message, _ in expected]
    assert deeper["uuid"] in [item["uuid"] for item in listed]


def test_a_reply_shows_the_replies_that_answer_it(api):
    answer = reply(api, REPLY, "Worf, you have no honor!")
    reply(api, answer["uuid"], "Take that back")
    shown = api.get(f"/api/activities/{REPLY}").json()
    assert shown["replies_count"] == 1
    assert [item["message"] for item in shown["replies"]] == ["Worf, you have no honor!"]
    listed = api.get(f"/api/activities/{REPLY}/reply").json()
    assert [item["message"] for item in listed] == ["Worf, you have no honor!"]


def test_a_reply_to_a_reply_by_someone_else_notifies_the_acting_user(api, settings):
    """andrewbrown's reply to worf's reply, then worf answers it: andrewbrown sees the answer."""
    own = reply(api, REPLY, "I have honor")
    settings.CRUDDUR = {**settings.CRUDDUR, "ACTING_USER_HANDLE": "worf"}
    reply(api, own["uuid"], "You do not")
    settings.CRUDDUR = {**settings.CRUDDUR, "ACTING_USER_HANDLE": "andrewbrown"}
    notifications = api.get("/api/activities/notifications").json()
    assert [item["message"] for item in notifications][:1] == ["You do not"]


@pytest.mark.django_db(transaction=True)
def test_the_migrations_put_existing_replies_of_replies_in_their_thread(api):
    executor = MigrationExecutor(connection)
    executor.migrate([("activities", "0002_seed_data")])
    old = executor.loader.project_state([("activities", "0002_seed_data")]).apps
    Activity = old.get_model("activities", "Activity")
    worf = old.get_model("activities", "User").objects.get(handle="worf")
    parent = Activity.objects.get(pk=seed.NO_HONOR_REPLY)
    for depth in range(3):  # a chain three replies deeper than the seed's reply
        parent.replies_count += 1
        parent.save()
        parent = Activity.objects.create(
            user=worf, message=f"depth {depth + 2}", reply_to=parent, created_at=timezone.now()
        )
    MigrationExecutor(connection).migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    root = thread_in_home(api)
    assert [item["message"] for item in root["replies"]] == [
        "This post has no honor!", "depth 2", "depth 3", "depth 4",
    ]  # fmt: skip
    assert root["replies_count"] == 4
    notifications = api.get("/api/activities/notifications").json()
    assert [item["message"] for item in notifications] == ["This post has no honor!"]
