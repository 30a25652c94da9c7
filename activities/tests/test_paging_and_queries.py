"""Feeds are bounded and cheap: a default page size, a Link to the next page, and a fixed number
of SQL queries however many activities and replies there are."""

import datetime
import re

import pytest
from django.utils import timezone

from activities.models import Activity, Message, MessageGroup, User

pytestmark = pytest.mark.usefixtures("seeded")


def add_activities(count, replies_each=0):
    """`count` top-level activities by garek, each with replies by worf, replying to andrewbrown."""
    garek, worf = User.objects.get(handle="garek"), User.objects.get(handle="worf")
    andrew = User.objects.get(handle="andrewbrown")
    start = timezone.now() - datetime.timedelta(days=30)
    parents = Activity.objects.bulk_create(
        Activity(
            user=garek if i % 2 else andrew, message=f"bulk {i}", created_at=start + i * SECOND
        )
        for i in range(count)
    )
    Activity.objects.bulk_create(
        Activity(
            user=worf,
            message=f"reply {i}",
            reply_to=parent,
            thread=parent,
            reply_to_user=parent.user,
            created_at=parent.created_at,
        )
        for parent in parents
        for i in range(replies_each)
    )


def add_conversations(count):
    """`count` conversations of andrewbrown, each with three messages."""
    andrew = User.objects.get(handle="andrewbrown")
    for i in range(count):
        other = User.objects.create(handle=f"pen_pal_{i}", display_name=f"Pen Pal {i}")
        group = MessageGroup.objects.get_or_create_between(andrew, other)
        for sender in (andrew, other, andrew):
            Message.objects.create(group=group, user=sender, message=f"to {i}")


SECOND = datetime.timedelta(seconds=1)

FEEDS = {
    "/api/activities/home": 2,
    "/api/activities": 2,
    "/api/activities/@garek": 3,
    "/api/activities/notifications": 3,
    "/api/activities/search?term=bulk": 2,
    "/api/activities/68f126b0-1ceb-4a33-88be-d90fa7109eee": 2,
    "/api/activities/68f126b0-1ceb-4a33-88be-d90fa7109eee/reply": 2,
    "/api/message_groups": 2,
    "/api/messages/@worf": 3,
}


@pytest.mark.parametrize(("path", "queries"), FEEDS.items())
@pytest.mark.parametrize(("activities", "replies"), [(3, 1), (60, 8)])
def test_query_count_is_fixed(api, django_assert_num_queries, path, queries, activities, replies):
    add_activities(activities, replies)
    add_conversations(activities // 3)
    with django_assert_num_queries(queries):
        response = api.get(path)
    assert response.status_code == 200


def test_default_page_is_bounded_and_links_to_the_next(api, settings):
    add_activities(45)
    page_size = settings.REST_FRAMEWORK["PAGE_SIZE"]
    response = api.get("/api/activities/home")
    assert len(response.json()) == page_size
    assert 'rel="next"' in response["Link"]


def test_following_next_links_visits_every_activity_once_newest_first(api):
    add_activities(45)
    seen, url = [], "/api/activities/home?page_size=7"
    while url:
        response = api.get(url)
        seen += response.json()
        match = re.search(r'<([^>]+)>; rel="next"', response.get("Link", ""))
        url = match and match.group(1)
    expected = Activity.objects.top_level().order_by("-created_at")
    assert [item["uuid"] for item in seen] == [
        str(pk) for pk in expected.values_list("pk", flat=True)
    ]


def test_first_page_is_unchanged_by_paging(api):
    add_activities(10)
    plain = api.get("/api/activities/home").json()
    explicit = api.get("/api/activities/home", {"page_size": 20}).json()
    assert plain == explicit


def test_short_list_has_no_link_header(api):
    response = api.get("/api/activities/@worf")
    assert "Link" not in response


def test_page_size_is_capped(api, settings):
    add_activities(150)
    response = api.get("/api/activities/home", {"page_size": 1000})
    assert len(response.json()) == settings.CRUDDUR["MAX_PAGE_SIZE"]


def test_embedded_replies_are_bounded_but_counted(api, settings):
    settings.CRUDDUR = {**settings.CRUDDUR, "REPLIES_PER_ACTIVITY": 3}
    parent = api.post("/api/activities", {"message": "popular", "ttl": "1-day"}).json()
    for i in range(5):
        api.post(f"/api/activities/{parent['uuid']}/reply", {"message": f"r{i}"})
    shown = api.get(f"/api/activities/{parent['uuid']}").json()
    assert shown["replies_count"] == 5
    assert [reply["message"] for reply in shown["replies"]] == ["r0", "r1", "r2"]
    all_replies = api.get(f"/api/activities/{parent['uuid']}/reply").json()
    assert [reply["message"] for reply in all_replies] == ["r0", "r1", "r2", "r3", "r4"]


def test_conversations_page_in_order_of_latest_message(api):
    add_conversations(25)
    first = api.get("/api/message_groups", {"page_size": 10})
    match = re.search(r'<([^>]+)>; rel="next"', first["Link"])
    second = api.get(match.group(1))
    handles = [group["handle"] for group in first.json() + second.json()]
    assert handles[:3] == ["pen_pal_24", "pen_pal_23", "pen_pal_22"]
    assert len(set(handles)) == 20
