"""What the sdk source adds to the X-Ray SDK's segment of a request, so that it carries what the
otel source's segment carries: the route as the annotation `http_route`, and the release as the
service's version."""

from aws_xray_sdk.core import xray_recorder
from aws_xray_sdk.core.recorder import SERVICE_INFO

from observability.conf import conf
from observability.routes import request_route

# The annotation of a request's route (`/api/activities/@{handle}`), searchable in the console:
# `annotation.http_route = "/api/activities/@{handle}"`.
ROUTE_ANNOTATION = "http_route"


def service_info(release):
    """The segment's service block: the SDK's runtime fields, and the version when named."""
    return {**SERVICE_INFO, "version": release} if release else None


class SegmentFieldsMiddleware:
    """Runs inside the SDK's XRayMiddleware, whose segment is the current one here."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.service = service_info(conf.release)

    def __call__(self, request):
        if self.service is not None:
            xray_recorder.current_segment().set_service(self.service)
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        route = request_route(request)
        if route:
            xray_recorder.current_segment().put_annotation(ROUTE_ANNOTATION, route)
