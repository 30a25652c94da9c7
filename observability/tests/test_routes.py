import pytest
from django.test import RequestFactory
from django.urls import resolve

from observability.routes import request_route, route_template


@pytest.mark.parametrize(
    ("route", "template"),
    [
        ("api/activities/@<str:handle>", "/api/activities/@{handle}"),
        ("api/activities/<str:activity_uuid>/reply", "/api/activities/{activity_uuid}/reply"),
        ("api/items/<pk>", "/api/items/{pk}"),
        ("api/health-check", "/api/health-check"),
        ("^api/legacy/(?P<slug>[a-z]+)$", "/api/legacy/{slug}"),
    ],
)
def test_a_route_reads_as_an_openapi_path(route, template):
    assert route_template(route) == template


def test_every_handle_shares_the_user_feed_route():
    routes = set()
    for handle in ("andrewbrown", "worf", "x%40y"):
        request = RequestFactory().get(f"/api/activities/@{handle}")
        request.resolver_match = resolve(request.path_info)
        routes.add(request_route(request))
    assert routes == {"/api/activities/@{handle}"}


def test_an_unresolved_request_has_no_route():
    assert request_route(RequestFactory().get("/nowhere")) is None
