"""The to-do API's own OpenAPI schema and Swagger UI; the blog's schema stays the blog's."""

import pytest
import yaml

from tests.todo.conftest import ApiClient


def schema(path: str) -> dict:
    response = ApiClient(None).get(path)
    assert response.status_code == 200
    return yaml.safe_load(response.content)


def test_the_todo_schema_describes_every_endpoint_with_bearer_auth():
    document = schema("/api/todos/schema/")

    assert document["info"]["title"] == "MyToDoList API"
    assert set(document["paths"]) == {
        "/api/todos/",
        "/api/todos/{todo_id}/",
        "/api/me/",
        "/api/files/",
        "/api/files/uploads",
        "/api/files/{path}",
    }
    assert {"get", "put", "patch", "delete"} <= set(document["paths"]["/api/todos/{todo_id}/"])
    scheme = document["components"]["securitySchemes"]["cognitoAccessToken"]
    assert scheme == {**scheme, "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    assert document["paths"]["/api/todos/"]["get"]["security"] == [{"cognitoAccessToken": []}]


def test_the_todo_schema_is_valid_openapi():
    validator = pytest.importorskip("openapi_spec_validator")

    validator.validate(schema("/api/todos/schema/"))


@pytest.mark.django_db
def test_the_blog_schema_does_not_list_the_todo_api():
    paths = set(schema("/api/schema/")["paths"])

    assert "/api/blog/posts/" in paths
    assert not [path for path in paths if path.startswith(("/api/todos", "/api/me", "/api/files"))]


def test_swagger_ui_serves_the_todo_schema_under_its_own_title_with_its_script_as_a_file():
    page = ApiClient(None).get("/api/todos/docs/")
    script = ApiClient(None).get("/api/todos/docs/?script=")

    assert page.status_code == script.status_code == 200
    assert b"<title>MyToDoList API</title>" in page.content
    assert b'<script src="/api/todos/docs/?script="></script>' in page.content  # the policy allows no inline script
    assert b"/api/todos/schema/" in script.content
