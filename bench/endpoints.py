"""The requests the instruction count is taken of: every endpoint of the contract that the
frontend calls, by a short name (`bench/run --instructions --endpoints home,search`).

The paths and bodies are the seed data's (activities.seed), so each answers 200 on a freshly
migrated database. Kept apart from bench/wsgi_loop.py so that bench/instructions.py can name
them without importing the loop, which sets up Django's environment when imported.
"""

import json
from typing import NamedTuple

ACTIVITY = "68f126b0-1ceb-4a33-88be-d90fa7109eee"


class Endpoint(NamedTuple):
    """One request: method, path (with its query string, if any) and JSON body (or None)."""

    method: str
    path: str
    body: dict | None = None

    def __str__(self):
        return f"{self.method} {self.path}"

    def encoded_body(self):
        return b"" if self.body is None else json.dumps(self.body).encode()


ENDPOINTS = {
    "home": Endpoint("GET", "/api/activities/home"),
    "notifications": Endpoint("GET", "/api/activities/notifications"),
    "user-feed": Endpoint("GET", "/api/activities/@andrewbrown"),
    "search": Endpoint("GET", "/api/activities/search?term=cloud"),
    "activity": Endpoint("GET", f"/api/activities/{ACTIVITY}"),
    "replies": Endpoint("GET", f"/api/activities/{ACTIVITY}/reply"),
    "message-groups": Endpoint("GET", "/api/message_groups"),
    "messages": Endpoint("GET", "/api/messages"),
    "conversation": Endpoint("GET", "/api/messages/@worf"),
    "health-check": Endpoint("GET", "/api/health-check"),
    "api-root": Endpoint("GET", "/api"),
    "post-activity": Endpoint(
        "POST", "/api/activities", {"message": "Counting instructions", "ttl": "7-days"}
    ),
    "post-reply": Endpoint(
        "POST", f"/api/activities/{ACTIVITY}/reply", {"message": "Counted, with honor"}
    ),
    "post-message": Endpoint(
        "POST", "/api/messages", {"message": "How many today?", "user_receiver_handle": "worf"}
    ),
}


def selected(names):
    """The endpoints named in a comma-separated list ("all": every one), in the table's order."""
    if names == "all":
        return list(ENDPOINTS)
    chosen = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(chosen) - set(ENDPOINTS))
    if unknown or not chosen:
        raise ValueError(f"unknown endpoint {unknown or names!r}; known: {', '.join(ENDPOINTS)}")
    return [name for name in ENDPOINTS if name in chosen]
