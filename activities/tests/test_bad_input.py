"""Bad input of every kind gets a 4xx with a JSON array of codes, never a 500 and never HTML."""

import json

import pytest
from django.test import Client

from activities import seed
from activities.models import Activity, Message

pytestmark = pytest.mark.usefixtures("seeded")

ACTIVITY = "/api/activities"
REPLY = f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply"
MESSAGES = "/api/messages"


def post_raw(path, body, content_type="application/json", **extra):
    return Client().post(path, data=body, content_type=content_type, **extra)


def post_json(path, value):
    return post_raw(path, json.dumps(value))


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ({}, ["message_blank", "ttl_blank"]),
        ({"message": "", "ttl": ""}, ["message_blank", "ttl_blank"]),
        ({"message": "   ", "ttl": "7-days"}, ["message_blank"]),
        ({"message": None, "ttl": None}, ["message_blank", "ttl_blank"]),
        ({"message": 5, "ttl": "7-days"}, ["message_invalid"]),
        ({"message": True, "ttl": "7-days"}, ["message_invalid"]),
        ({"message": ["a"], "ttl": "7-days"}, ["message_invalid"]),
        ({"message": {"a": 1}, "ttl": "7-days"}, ["message_invalid"]),
        ({"message": "nul\u0000byte", "ttl": "7-days"}, ["message_invalid"]),
        ({"message": "x" * 281, "ttl": "7-days"}, ["message_exceed_max_chars"]),
        ({"message": "ok", "ttl": "2-days"}, ["ttl_blank"]),
        ({"message": "ok", "ttl": 7}, ["ttl_blank"]),
        ({"message": "ok", "ttl": ["7-days"]}, ["ttl_blank"]),
        ({"message": "x" * 281, "ttl": "forever"}, ["message_exceed_max_chars", "ttl_blank"]),
    ],
)
def test_invalid_activity_is_422_with_every_code_in_order(body, codes):
    before = Activity.objects.count()
    response = post_json(ACTIVITY, body)
    assert (response.status_code, response.json()) == (422, codes)
    assert Activity.objects.count() == before


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ({}, ["message_blank"]),
        ({"message": None}, ["message_blank"]),
        ({"message": 5}, ["message_invalid"]),
        ({"message": "z" * 1025}, ["message_exceed_max_chars"]),
    ],
)
def test_invalid_reply_is_422_and_counts_nothing(body, codes):
    response = post_json(REPLY, body)
    assert (response.status_code, response.json()) == (422, codes)
    assert Activity.objects.get(pk=seed.CLOUD_IS_VERY_FUN).replies_count == 1


@pytest.mark.parametrize("target", ["00000000-0000-4000-8000-000000000000", "garbage"])
def test_reply_to_unknown_activity_is_404(target):
    response = post_json(f"/api/activities/{target}/reply", {"message": "hello"})
    assert (response.status_code, response.json()) == (404, ["activity_not_found"])


@pytest.mark.parametrize(
    ("body", "codes"),
    [
        ({}, ["message_blank", "user_reciever_handle_blank"]),
        ({"message": "hi"}, ["user_reciever_handle_blank"]),
        ({"message": "hi", "user_receiver_handle": ""}, ["user_reciever_handle_blank"]),
        ({"message": "hi", "user_receiver_handle": None}, ["user_reciever_handle_blank"]),
        ({"message": "hi", "user_receiver_handle": 7}, ["user_reciever_handle_invalid"]),
        ({"message": "", "user_receiver_handle": "worf"}, ["message_blank"]),
        ({"message": "m" * 1025, "user_receiver_handle": "worf"}, ["message_exceed_max_chars"]),
    ],
)
def test_invalid_message_is_422(body, codes):
    before = Message.objects.count()
    response = post_json(MESSAGES, body)
    assert (response.status_code, response.json()) == (422, codes)
    assert Message.objects.count() == before


@pytest.mark.parametrize("path", [ACTIVITY, REPLY, MESSAGES])
@pytest.mark.parametrize(
    ("body", "code"),
    [
        ("{not json", "invalid_json"),
        ('{"message": "unterminated', "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        ("[" * 50_000, "invalid_json"),
        ('{"message": NaN}', "invalid_json"),
        ("[]", "body_not_object"),
        ('["message"]', "body_not_object"),
        ('"a string"', "body_not_object"),
        ("42", "body_not_object"),
        ("null", "body_not_object"),
    ],
)
def test_body_that_is_not_a_json_object_is_400(path, body, code):
    response = post_raw(path, body)
    assert (response.status_code, response.json()) == (400, [code])


@pytest.mark.parametrize("path", [ACTIVITY, REPLY, MESSAGES])
@pytest.mark.parametrize("content_type", ["application/json", "multipart/form-data; boundary=x"])
def test_no_body_at_all_is_422_listing_what_is_missing(path, content_type):
    response = post_raw(path, "", content_type=content_type)
    assert response.status_code == 422
    assert "message_blank" in response.json()


@pytest.mark.parametrize("path", [ACTIVITY, REPLY, MESSAGES])
def test_body_over_the_size_limit_is_413(path, settings):
    body = json.dumps({"message": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1), "ttl": "1-day"})
    response = post_raw(path, body)
    assert (response.status_code, response.json()) == (413, ["body_too_large"])


@pytest.mark.parametrize("path", [ACTIVITY, REPLY, MESSAGES])
def test_form_body_over_the_size_limit_is_413(path, settings):
    body = "message=" + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)
    response = post_raw(path, body, content_type="application/x-www-form-urlencoded")
    assert (response.status_code, response.json()) == (413, ["body_too_large"])


def test_unsupported_content_type_is_415():
    response = post_raw(ACTIVITY, "message=hi", content_type="text/plain")
    assert (response.status_code, response.json()) == (415, ["unsupported_media_type"])


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("delete", "/api/activities/home"),
        ("put", ACTIVITY),
        ("patch", f"/api/activities/{seed.CLOUD_IS_VERY_FUN}"),
        ("post", "/api/activities/home"),
        ("post", "/api/message_groups"),
        ("delete", "/api/health-check"),
    ],
)
def test_wrong_method_is_405_json(method, path):
    response = getattr(Client(), method)(path)
    assert (response.status_code, response.json()) == (405, ["method_not_allowed"])


@pytest.mark.parametrize(
    "path", ["/api/activities/home/", "/api/activities/", "/api/nothing", "/api/messages/worf"]
)
def test_unknown_path_under_api_is_404_json_and_never_redirected(path):
    for response in (Client().get(path), post_json(path, {"message": "x", "ttl": "1-day"})):
        assert (response.status_code, response.json()) == (404, ["not_found"])


def test_errors_answer_json_even_to_a_browser():
    response = Client().post(
        ACTIVITY, data="{}", content_type="application/json", HTTP_ACCEPT="text/html"
    )
    assert response.status_code == 422
    assert response["Content-Type"] == "application/json"
    assert response.json() == ["message_blank", "ttl_blank"]


def test_disallowed_host_is_400_json():
    response = Client().get("/api/activities/home", HTTP_HOST="evil.example")
    assert (response.status_code, response.json()) == (400, ["bad_request"])


@pytest.mark.parametrize(
    "query",
    [
        {"cursor": "garbage"},
        {"cursor": "cD1ub3QtYS10aW1l"},
        {"cursor": "cD0yMDI2"},
    ],
)
def test_bad_cursor_is_400(api, query):
    response = api.get("/api/activities/home", query)
    assert (response.status_code, response.json()) == (400, ["invalid_cursor"])


@pytest.mark.parametrize("page_size", ["0", "000", "-1", "abc", "1e9", "1.5", "", " 5", "null"])
def test_a_page_size_that_is_no_positive_integer_is_400(api, page_size):
    response = api.get("/api/activities/home", {"page_size": page_size})
    assert (response.status_code, response.json()) == (400, ["invalid_page_size"])


@pytest.mark.parametrize("page_size", ["99999999999999999999", "9" * 5000])
def test_a_huge_page_size_answers_the_maximum(api, settings, page_size):
    settings.CRUDDUR = {**settings.CRUDDUR, "MAX_PAGE_SIZE": 2}
    response = api.get("/api/activities/home", {"page_size": page_size})
    assert response.status_code == 200
    assert len(response.json()) == 2


def test_search_term_with_nul_is_422(api):
    response = api.get("/api/activities/search", {"term": "a\x00b"})
    assert (response.status_code, response.json()) == (422, ["search_term_invalid"])


def test_unhandled_error_is_500_json_without_details(api, monkeypatch):
    def explode(*args, **kwargs):
        raise RuntimeError("secret internals")

    monkeypatch.setattr("activities.views.activities.HomeFeedView.get_queryset", explode)
    client = Client(raise_request_exception=False)
    response = client.get("/api/activities/home")
    assert (response.status_code, response.json()) == (500, ["internal_server_error"])


@pytest.mark.parametrize(
    ("path", "code"),
    [
        ("/api/activities/@wo%00rf", "user_not_found"),
        ("/api/messages/@%00", "user_not_found"),
        ("/api/activities/@" + "w" * 65, "user_not_found"),
        ("/api/messages/@%ff%fe", "user_not_found"),
        ("/api/activities/%00", "activity_not_found"),
        ("/api/activities/68f126b0-1ceb-4a33-88be-d90fa7109ee%00/reply", "activity_not_found"),
    ],
)
def test_a_path_parameter_no_row_can_have_is_404_on_every_database(api, path, code):
    response = api.get(path)
    assert (response.status_code, response.json()) == (404, [code])


def test_a_receiver_handle_with_nul_is_422(api):
    response = api.post("/api/messages", {"message": "hi", "user_receiver_handle": "wo\x00rf"})
    assert (response.status_code, response.json()) == (422, ["user_reciever_handle_invalid"])
