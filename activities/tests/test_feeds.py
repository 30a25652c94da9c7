"""The read endpoints serve the seed content in the contract's shapes and orders."""

import re

import pytest

from activities import seed
from activities.models import User

ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
ACTIVITY_FIELDS = {
    "uuid", "display_name", "handle", "message", "created_at", "expires_at", "likes_count",
    "replies_count", "reposts_count", "reply_to_activity_uuid",
}  # fmt: skip

pytestmark = pytest.mark.usefixtures("seeded")


def messages_of(response):
    return [item["message"] for item in response.json()]


def test_home_feed_lists_top_level_activities_newest_first_with_replies(api):
    response = api.get("/api/activities/home")
    assert response.status_code == 200
    assert messages_of(response) == [
        "My dear doctor, I am just simple tailor",
        "Cloud is fun!",
        "Cloud is very fun!",
        "I am out of prune juice",
    ]
    first = response.json()[2]
    assert set(first) == ACTIVITY_FIELDS | {"replies"}
    assert first["uuid"] == str(seed.CLOUD_IS_VERY_FUN)
    assert (first["handle"], first["display_name"]) == ("andrewbrown", "Andrew Brown")
    assert (first["likes_count"], first["replies_count"]) == (5, 1)
    assert first["reply_to_activity_uuid"] is None
    [reply] = first["replies"]
    assert set(reply) == ACTIVITY_FIELDS
    assert reply["uuid"] == str(seed.NO_HONOR_REPLY)
    assert reply["reply_to_activity_uuid"] == str(seed.CLOUD_IS_VERY_FUN)
    assert reply["expires_at"] is None
    assert ISO_WITH_OFFSET.match(first["created_at"])
    assert ISO_WITH_OFFSET.match(first["expires_at"])


def test_replies_are_listed_oldest_first(api):
    api.post(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply", {"message": "second"})
    api.post(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply", {"message": "third"})
    thread = api.get(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}").json()
    assert [reply["message"] for reply in thread["replies"]] == [
        "This post has no honor!",
        "second",
        "third",
    ]


def test_user_feed_lists_only_that_users_top_level_activities(api):
    response = api.get("/api/activities/@andrewbrown")
    assert response.status_code == 200
    assert messages_of(response) == ["Cloud is fun!", "Cloud is very fun!"]


def test_user_feed_of_unknown_user_is_404(api):
    response = api.get("/api/activities/@nobody")
    assert (response.status_code, response.json()) == (404, ["user_not_found"])


def test_notifications_are_replies_by_others_to_the_acting_users_activities(api):
    api.post(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply", {"message": "my own reply"})
    response = api.get("/api/activities/notifications")
    assert response.status_code == 200
    assert messages_of(response) == ["This post has no honor!"]


def test_notifications_follow_the_acting_user_setting(api, settings):
    settings.CRUDDUR = {**settings.CRUDDUR, "ACTING_USER_HANDLE": "worf"}
    assert api.get("/api/activities/notifications").json() == []


def test_search_is_case_insensitive_and_newest_first(api):
    response = api.get("/api/activities/search", {"term": "CLOUD"})
    assert response.status_code == 200
    assert messages_of(response) == ["Cloud is fun!", "Cloud is very fun!"]


def test_search_finds_replies_too(api):
    assert messages_of(api.get("/api/activities/search", {"term": "honor"})) == [
        "This post has no honor!"
    ]


def test_search_treats_like_wildcards_literally(api):
    assert api.get("/api/activities/search", {"term": "%"}).json() == []
    assert api.get("/api/activities/search", {"term": "_"}).json() == []


@pytest.mark.parametrize("query", [{}, {"term": ""}, {"term": "   "}])
def test_search_without_a_term_is_422(api, query):
    response = api.get("/api/activities/search", query)
    assert (response.status_code, response.json()) == (422, ["search_term_blank"])


def test_one_activity_with_its_replies(api):
    response = api.get(f"/api/activities/{seed.CLOUD_IS_VERY_FUN}")
    assert response.status_code == 200
    assert response.json()["message"] == "Cloud is very fun!"
    assert [reply["message"] for reply in response.json()["replies"]] == ["This post has no honor!"]


@pytest.mark.parametrize(
    "activity_uuid", ["00000000-0000-4000-8000-000000000000", "not-a-uuid", "1234", "%20"]
)
def test_unknown_or_malformed_activity_is_404(api, activity_uuid):
    response = api.get(f"/api/activities/{activity_uuid}")
    assert (response.status_code, response.json()) == (404, ["activity_not_found"])


def test_message_groups_show_the_other_person_and_the_latest_message(api):
    response = api.get("/api/message_groups")
    assert response.status_code == 200
    [group] = response.json()
    assert group["uuid"] == str(seed.CONVERSATION)
    assert (group["handle"], group["display_name"]) == ("worf", "Worf")
    assert group["message"] == "This platform is great!"
    assert ISO_WITH_OFFSET.match(group["created_at"])


def test_message_groups_seen_from_the_other_side(api, settings):
    settings.CRUDDUR = {**settings.CRUDDUR, "ACTING_USER_HANDLE": "worf"}
    [group] = api.get("/api/message_groups").json()
    assert (group["handle"], group["display_name"]) == ("andrewbrown", "Andrew Brown")


def test_conversation_lists_messages_oldest_first(api):
    response = api.get("/api/messages/@worf")
    assert response.status_code == 200
    body = response.json()
    assert [message["message"] for message in body] == ["Cloud is fun!", "This platform is great!"]
    assert set(body[0]) == {"uuid", "display_name", "handle", "message", "created_at"}
    assert body[0]["handle"] == "andrewbrown"


def test_conversation_with_someone_never_messaged_is_empty(api):
    assert api.get("/api/messages/@garek").json() == []


def test_conversation_with_unknown_user_is_404(api):
    response = api.get("/api/messages/@nobody")
    assert (response.status_code, response.json()) == (404, ["user_not_found"])


def test_acting_user_is_created_when_missing(api, settings):
    settings.CRUDDUR = {**settings.CRUDDUR, "ACTING_USER_HANDLE": "newcomer"}
    assert api.get("/api/message_groups").json() == []
    assert User.objects.filter(handle="newcomer").exists()
