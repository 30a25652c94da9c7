"""Paging cursors are the API's own: one it did not hand out (forged, tampered, from an older
scheme) answers 400 invalid_cursor before anything reaches the database, and one it handed out is
honoured by every worker that shares the secret key, and after a restart."""

import base64
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core import signing

from activities.pagination import CURSOR_SALT
from activities.tests.live_server import database_url_for_server, running_server

pytestmark = pytest.mark.usefixtures("seeded")


def first_next_link(api, path="/api/activities/home"):
    response = api.get(path, {"page_size": 1})
    assert response.status_code == 200
    return response.headers["Link"].split(">", 1)[0].lstrip("<")


def cursor_of(link):
    return parse_qs(urlsplit(link).query)["cursor"][0]


def signed(value, salt=CURSOR_SALT):
    return signing.dumps(value, salt=salt, compress=True)


def drf_cursor(querystring):
    """A cursor as DRF writes one unsigned (what this API handed out before it signed them)."""
    return base64.b64encode(querystring.encode()).decode()


FORGED = {
    "far-future position with an offset": drf_cursor("p=9999-12-31+23%3A59%3A59-05%3A00"),
    "a position that is no time": drf_cursor("p=not-a-time"),
    "an unsigned position": drf_cursor("p=2026-01-01+00%3A00%3A00%2B00%3A00"),
    "signed with another salt": signed([0, 0, "2026-01-01 00:00:00+00:00"], salt="other"),
    "a NUL in the cursor": "abc\x00def",
    "a huge cursor": "A" * 5000,
}


@pytest.mark.parametrize("cursor", FORGED.values(), ids=FORGED.keys())
def test_a_cursor_this_api_did_not_hand_out_is_400(api, cursor):
    response = api.get("/api/activities/home", {"cursor": cursor})
    assert (response.status_code, response.json()) == (400, ["invalid_cursor"])


def test_a_tampered_cursor_is_400(api):
    cursor = cursor_of(first_next_link(api))
    payload, signature = cursor.rsplit(":", 1)
    tampered = f"{payload}:{signature[:-1]}{'A' if signature[-1] != 'A' else 'B'}"
    response = api.get("/api/activities/home", {"cursor": tampered})
    assert (response.status_code, response.json()) == (400, ["invalid_cursor"])


@pytest.mark.parametrize(
    "value",
    [
        [0, 0, "9999-12-31 23:59:59-05:00"],  # its UTC form is past year 9999
        [0, 0, "2026-01-01 00:00:00"],  # no offset
        [10**9, 0, None],  # an offset past DRF's cutoff
        [0, 7, None],
        ["0", 0, None],
        {"p": "x"},
    ],
)
def test_even_a_signed_cursor_holds_only_what_the_api_writes(api, value):
    response = api.get("/api/activities/home", {"cursor": signed(value)})
    assert (response.status_code, response.json()) == (400, ["invalid_cursor"])


def test_a_handed_out_cursor_pages_on(api):
    link = first_next_link(api)
    response = api.get(link)
    assert response.status_code == 200
    assert len(response.json()) == 1


def page_through(urls, path):
    """Every uuid of a feed, one item a page, each page asked of the next server in turn."""
    uuids, next_url, turn = [], f"{urls[0]}{path}?page_size=1", 0
    while next_url:
        response = requests.get(next_url, timeout=10)
        assert response.status_code == 200, response.text
        uuids += [activity["uuid"] for activity in response.json()]
        turn += 1
        link = response.links.get("next", {}).get("url")
        next_url = link and link.replace(link.split("/api", 1)[0], urls[turn % len(urls)], 1)
    return uuids


@pytest.mark.server
def test_cursors_are_honoured_by_every_worker_and_after_a_restart(tmp_path):
    """Two servers stand for two workers: without DJANGO_SECRET_KEY they share the key file."""
    key = {"DJANGO_SECRET_KEY": "", "DJANGO_SECRET_KEY_FILE": str(tmp_path / "secret-key")}
    with database_url_for_server(tmp_path) as database:
        with running_server(database, **key) as first, running_server(database, **key) as second:
            everything = requests.get(f"{first}/api/activities/home", timeout=10).json()
            assert len(everything) >= 3
            assert page_through([first, second], "/api/activities/home") == [
                activity["uuid"] for activity in everything
            ]
            link = requests.get(f"{first}/api/activities/home?page_size=1", timeout=10).links
        with running_server(database, migrate=False, **key) as restarted:
            response = requests.get(link["next"]["url"].replace(str(first), restarted), timeout=10)
            assert response.status_code == 200
            assert [a["uuid"] for a in response.json()] == [everything[1]["uuid"]]
