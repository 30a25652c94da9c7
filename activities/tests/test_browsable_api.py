"""DRF's browsable pages: every endpoint answers a browser with HTML, every POST has a form,
and /api lists the endpoints."""

import pytest
from django.test import Client

from activities import seed

pytestmark = pytest.mark.usefixtures("seeded")

PAGES = [
    "/api/activities/home",
    "/api/activities/notifications",
    "/api/activities/@andrewbrown",
    "/api/activities/search?term=cloud",
    f"/api/activities/{seed.CLOUD_IS_VERY_FUN}",
    "/api/message_groups",
    "/api/messages/@worf",
    "/api/health-check",
    "/api",
]
POST_FORMS = {
    "/api/activities": ['name="message"', 'name="ttl"'],
    f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply": ['name="message"'],
    "/api/messages": ['name="message"', 'name="user_receiver_handle"'],
}


def browse(path):
    return Client().get(path, HTTP_ACCEPT="text/html")


@pytest.mark.parametrize("path", PAGES + list(POST_FORMS))
def test_every_endpoint_has_a_browsable_page(path):
    response = browse(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert "Django REST framework" in response.content.decode()


@pytest.mark.parametrize(("path", "inputs"), POST_FORMS.items())
def test_every_post_has_an_html_form(path, inputs):
    html = browse(path).content.decode()
    assert 'method="POST"' in html
    for name in inputs:
        assert name in html


def test_ttl_form_offers_every_ttl():
    html = browse("/api/activities").content.decode()
    for ttl in ["30-days", "7-days", "3-days", "1-day", "12-hours", "3-hours", "1-hour"]:
        assert f'value="{ttl}"' in html


def test_api_root_lists_every_endpoint():
    body = Client().get("/api").json()
    paths = {url.split("testserver", 1)[1] for url in body.values()}
    assert paths >= {
        "/api/activities",
        "/api/activities/home",
        "/api/activities/notifications",
        "/api/activities/@andrewbrown",
        "/api/activities/search?term=cloud",
        f"/api/activities/{seed.CLOUD_IS_VERY_FUN}",
        f"/api/activities/{seed.CLOUD_IS_VERY_FUN}/reply",
        "/api/message_groups",
        "/api/messages",
        "/api/messages/@worf",
        "/api/health-check",
    }


def test_site_root_leads_to_the_api():
    response = Client().get("/")
    assert (response.status_code, response["Location"]) == (302, "/api")


def test_browsable_pages_assets_are_served():
    response = Client().get("/static/rest_framework/css/bootstrap.min.css")
    assert response.status_code == 200


def test_json_is_the_default_without_an_accept_header():
    assert Client().get("/api/activities/home")["Content-Type"] == "application/json"
