"""The OpenAPI schema at /api/schema: valid OpenAPI 3, committed beside the code (a view that
changes without its schema fails here), true to the contract's endpoints and error codes, and
served with Swagger UI and ReDoc pages whose assets are all local (no internet needed)."""

import difflib
import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiYamlRenderer
from drf_spectacular.validation import validate_schema

SCHEMA_FILE = Path(django_settings.BASE_DIR) / "activities" / "openapi.yaml"
REGENERATE = "python manage.py spectacular --file activities/openapi.yaml"

# The contract's endpoints and the error codes it names for each (shared/contract.md).
CONTRACT = {
    ("get", "/api/activities/home"): {},
    ("get", "/api/activities/notifications"): {},
    ("get", "/api/activities/@{handle}"): {404: ["user_not_found"]},
    ("get", "/api/activities/search"): {422: ["search_term_blank"]},
    ("get", "/api/activities/{activity_uuid}"): {404: ["activity_not_found"]},
    ("post", "/api/activities"): {422: ["message_blank", "message_exceed_max_chars", "ttl_blank"]},
    ("post", "/api/activities/{activity_uuid}/reply"): {
        422: ["message_blank", "message_exceed_max_chars"],
        404: ["activity_not_found"],
    },
    ("get", "/api/message_groups"): {},
    ("get", "/api/messages/@{handle}"): {404: ["user_not_found"]},
    ("post", "/api/messages"): {
        422: ["message_blank", "message_exceed_max_chars", "user_reciever_handle_blank"],
        404: ["user_not_found"],
    },
    ("get", "/api/health-check"): {503: []},
    ("get", "/rollbar/test"): {},
}


@pytest.fixture
def schema(settings):
    """The schema as generated now, with the page sizes its descriptions quote at their defaults
    (so a local CRUDDUR_PAGE_SIZE does not change it)."""
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "PAGE_SIZE": 20}
    settings.CRUDDUR = {**settings.CRUDDUR, "MAX_PAGE_SIZE": 100}
    return SchemaGenerator().get_schema(request=None, public=True)


def test_the_committed_schema_is_the_generated_one(schema):
    generated = OpenApiYamlRenderer().render(schema, renderer_context={}).decode()
    committed = SCHEMA_FILE.read_text()
    diff = "".join(
        difflib.unified_diff(
            committed.splitlines(keepends=True),
            generated.splitlines(keepends=True),
            "activities/openapi.yaml (committed)",
            "generated from the views",
        )
    )
    assert not diff, f"The API changed without its schema. Run `{REGENERATE}`.\n{diff[:6000]}"


def test_the_schema_is_valid_openapi_3(schema):
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")


@pytest.mark.parametrize(("method", "path"), list(CONTRACT))
def test_every_contract_endpoint_is_documented_with_its_errors(schema, method, path):
    responses = schema["paths"][path][method]["responses"]
    assert "200" in responses
    for status, codes in CONTRACT[(method, path)].items():
        assert str(status) in responses, f"{method.upper()} {path} does not document {status}"
        if codes:
            documented = responses[str(status)]["content"]["application/json"]["schema"]
            assert documented["type"] == "array"
            assert set(codes) <= set(documented["items"]["enum"])


def test_every_operation_documents_its_answers_as_json_arrays_of_codes(schema):
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            for status, response in operation["responses"].items():
                if int(status) < 400 or status == "503":
                    continue
                body = response["content"]["application/json"]["schema"]
                assert body["type"] == "array", (method, path, status)
                assert all(re.fullmatch(r"[a-z_]+", code) for code in body["items"]["enum"])


@pytest.mark.parametrize("page", ["/api/schema/swagger-ui", "/api/schema/redoc"])
def test_the_documentation_pages_load_only_local_assets(client, page):
    response = client.get(page)
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert any(asset.endswith(".js") for asset in assets), assets
    for asset in assets:
        assert not re.match(r"^(https?:)?//", asset), f"{page} loads {asset} from outside"
        assert client.get(asset).status_code == 200, asset


def test_the_schema_is_served_at_api_schema(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    assert response.json()["info"]["title"] == "Cruddur API"
    assert "/api/activities/home" in response.json()["paths"]
