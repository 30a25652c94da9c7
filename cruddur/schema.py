"""The OpenAPI schema's pages that are not DRF views: observability's /rollbar/test (the
observability app knows nothing of the API's schema, so the project adds it here)."""


def rollbar_test_path(result, generator, request, public):
    """A drf-spectacular postprocessing hook that documents GET /rollbar/test."""
    result.setdefault("paths", {})["/rollbar/test"] = {
        "get": {
            "operationId": "rollbar_test",
            "description": 'Reports the message "Hello World!" at level warning to Rollbar (when '
            "Rollbar is on) and answers it.",
            "tags": ["rollbar"],
            "responses": {
                "200": {
                    "description": "The message that was reported",
                    "content": {
                        "text/plain": {"schema": {"type": "string", "enum": ["Hello World!"]}}
                    },
                }
            },
        }
    }
    return result
