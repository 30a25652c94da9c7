"""The POST endpoints create what they say, answer 200 with it, and keep the counts right."""

import datetime

import pytest
from django.utils import timezone

from activities import seed
from activities.models import Activity, Message, MessageGroup
from activities.serializers.activities import TTLS

pytestmark = pytest.mark.usefixtures("seeded")


@pytest.mark.parametrize("ttl", list(TTLS))
def test_create_activity_answers_200_with_the_activity_expiring_after_ttl(api, ttl):
    before = timezone.now()
    response = api.post("/api/activities", {"message": "Hello cloud", "ttl": ttl})
    assert response.status_code == 200
    body = response.json()
    assert (body["message"], body["handle"], body["display_name"]) == (
        "Hello cloud",
        "andrewbrown",
        "Andrew Brown",
    )
    assert body["replies"] == []
    assert "ttl" not in body
    expires_at = datetime.datetime.fromisoformat(body["expires_at"])
    assert before + TTLS[ttl] <= expires_at <= timezone.now() + TTLS[ttl]
    assert api.get("/api/activities/home").json()[0]["uuid"] == body["uuid"]


def test_create_activity_accepts_exactly_280_characters(api):
    response = api.post("/api/activities", {"message": "x" * 280, "ttl": "1-hour"})
    assert response.status_code == 200


def test_create_activity_trims_surrounding_whitespace(api):
    response = api.post("/api/activities", {"message": "  hi  ", "ttl": "1-hour"})
    assert response.json()["message"] == "hi"


def test_create_activity_from_an_html_form(client):
    response = client.post("/api/activities", {"message": "from a form", "ttl": "1-day"})
    assert response.status_code == 200
    assert Activity.objects.filter(message="from a form").exists()


def test_reply_answers_200_and_counts_on_the_parent(api):
    response = api.post(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply", {"message": "Qapla'"})
    assert response.status_code == 200
    body = response.json()
    assert body["reply_to_activity_uuid"] == str(seed.CLOUD_IS_VERY_FUN)
    assert body["expires_at"] is None
    assert body["handle"] == "andrewbrown"
    parent = api.get(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}").json()
    assert parent["replies_count"] == 2
    assert parent["replies"][-1]["uuid"] == body["uuid"]


def test_reply_accepts_1024_characters(api):
    response = api.post(f"/api/activities/{seed.PRUNE_JUICE}/reply", {"message": "y" * 1024})
    assert response.status_code == 200


def test_replies_are_not_in_the_home_feed_as_activities(api):
    api.post(f"/api/activities/{seed.PRUNE_JUICE}/reply", {"message": "a reply"})
    assert "a reply" not in [item["message"] for item in api.get("/api/activities/home").json()]


def test_get_on_the_reply_path_lists_the_replies(api):
    response = api.get(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply")
    assert response.status_code == 200
    assert [reply["message"] for reply in response.json()] == ["This post has no honor!"]


def test_message_to_an_existing_conversation(api):
    response = api.post("/api/messages", {"message": "Ready?", "user_receiver_handle": "worf"})
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"uuid", "display_name", "handle", "message", "created_at"}
    assert (body["handle"], body["message"]) == ("andrewbrown", "Ready?")
    assert MessageGroup.objects.count() == 1
    conversation = api.get("/api/messages/@worf").json()
    assert conversation[-1]["uuid"] == body["uuid"]
    assert api.get("/api/message_groups").json()[0]["message"] == "Ready?"


def test_message_to_someone_new_opens_a_conversation(api):
    response = api.post("/api/messages", {"message": "Tailor?", "user_receiver_handle": "@garek"})
    assert response.status_code == 200
    assert MessageGroup.objects.count() == 2
    groups = api.get("/api/message_groups").json()
    assert [(group["handle"], group["message"]) for group in groups] == [
        ("garek", "Tailor?"),
        ("worf", "This platform is great!"),
    ]
    assert Message.objects.filter(message="Tailor?").count() == 1


def test_message_to_unknown_user_is_404_and_stores_nothing(api):
    response = api.post("/api/messages", {"message": "hi", "user_receiver_handle": "nobody"})
    assert (response.status_code, response.json()) == (404, ["user_not_found"])
    assert not Message.objects.filter(message="hi").exists()


def test_get_on_messages_lists_the_conversations(api):
    assert api.get("/api/messages").json() == api.get("/api/message_groups").json()
