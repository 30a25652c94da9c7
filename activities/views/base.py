"""What every Cruddur API view shares: JSON errors, 200 for a successful create, and lists read
through `activities.selections`."""

from rest_framework import mixins, status
from rest_framework.renderers import JSONRenderer


class ContractMixin:
    """Errors answer JSON even to a browser that asked for the browsable HTML page."""

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


class CreateMixin(mixins.CreateModelMixin):
    """A POST that creates answers 200 with the created object: the frontend expects 200."""

    def post(self, request, *args, **kwargs):
        response = self.create(request, *args, **kwargs)
        response.status_code = status.HTTP_200_OK
        return response


class SelectionListMixin:
    """GET lists the view's Selection (its `get_queryset`): paged by the cursor paginator, rows
    already in the answer's shape, then `complete(page)` adds what a page needs (replies)."""

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(self.complete(page))

    def complete(self, page):
        return page
