"""The to-do service as its Lambda runs it (SERVICE=todo, a fresh process): everything its users call
works without loading any of the blog's apps or middleware (cold start), and SnapStart's hook runs
with the service's own settings (issue 14)."""

import json
from pathlib import Path
from typing import Any

import pytest

from tests.myblog.test_settings import manage, production_env  # noqa: F401 - a fixture
from tests.test_cold_imports import BLOG_ONLY, loaded, new_process, run_in_new_process
from tests.todo.conftest import CognitoTestUser
from tests.todo.test_settings import todo_env

ORIGIN = "https://app.example.com"


def signed_in(user: CognitoTestUser, method: str, path: str, body: object = None) -> dict[str, Any]:
    return {
        "method": method,
        "path": path,
        "headers": {"Authorization": f"Bearer {user.access_token}"},
        **({"body": json.dumps(body)} if body is not None else {}),
    }


@pytest.mark.slow
def test_a_todo_process_serves_the_app_its_api_schema_docs_health_and_json_errors_without_the_blogs_apps(
    aws_endpoint: str, alice: CognitoTestUser
) -> None:
    process = new_process(
        "todo",
        {"method": "OPTIONS", "path": "/api/todos/",
         "headers": {"Origin": ORIGIN, "Access-Control-Request-Method": "POST",
                     "Access-Control-Request-Headers": "authorization, content-type"}},
        "/api/me/",
        signed_in(alice, "POST", "/api/todos/", {"title": "Pack for Porto"}),
        signed_in(alice, "GET", "/api/todos/"),
        signed_in(alice, "GET", "/api/me/"),
        signed_in(alice, "GET", "/api/files/"),
        "/healthz",
        "/api/todos/schema/?format=json",
        {"path": "/api/todos/docs/", "headers": {"Accept": "text/html"}},
        "/api/nowhere",
        {"path": "/nowhere", "headers": {"Accept": "text/html"}},
        environment={"AWS_ENDPOINT_URL": aws_endpoint, "DEBUG": "false"},
    )  # fmt: skip
    preflight, anonymous, created, listed, me, files, health, schema, docs, api_404, page_404 = process["answers"]

    assert (preflight["status"], preflight["headers"]["access-control-allow-origin"]) == (200, "*")
    assert anonymous["status"] == 401
    assert anonymous["headers"]["www-authenticate"].startswith("Bearer")
    assert created["status"] == 201, created["body"]
    assert listed["status"] == 200
    assert [todo["title"] for todo in json.loads(listed["body"])] == ["Pack for Porto"]
    assert (me["status"], json.loads(me["body"])["sub"]) == (200, alice.sub)
    assert (files["status"], json.loads(files["body"])) == (200, [])
    assert (health["status"], json.loads(health["body"])["checks"]) == (200, {"todos": "ok"})
    assert "/api/todos/" in json.loads(schema["body"])["paths"]
    assert docs["status"] == 200
    assert docs["headers"]["content-type"].startswith("text/html")
    # Any other path of the API's host: its JSON 404, never a page of the blog it does not serve.
    for missing in (api_404, page_404):
        assert missing["status"] == 404
        assert json.loads(missing["body"]) == {"error": {"code": "not_found", "message": "Not found.", "fields": {}}}
    assert loaded(process["after_requests"], BLOG_ONLY) == []


@pytest.mark.slow
def test_a_todo_process_runs_snapstarts_before_snapshot_hook_with_the_services_own_apps(aws_endpoint: str) -> None:
    """The hook compiles, imports and reads what this service has (todo_production publishes a
    version only when it succeeds), and warms the to-do list."""
    code = (
        "import django, json; django.setup(); from myblog import snapstart; "
        "snapstart.before_snapshot(); print(json.dumps(snapstart.warm_up()))"
    )
    warmed, stderr = run_in_new_process(code, "todo", {"AWS_ENDPOINT_URL": aws_endpoint})

    assert warmed == {"/api/todos/": 401}
    assert "SnapStart" not in stderr, stderr[-3000:]  # no step failed (each is only logged)


@pytest.mark.slow
def test_the_todo_stage_passes_the_deploy_checks_without_the_blogs(production_env: dict[str, str]) -> None:  # noqa: F811
    """No check of a blog app (the newsletter's SITE_URL, say) runs where the blog is not served."""
    manifest = Path(production_env["STATIC_MANIFEST_ROOT"])
    manifest.mkdir()
    (manifest / "staticfiles.json").write_text(json.dumps({"paths": {}, "version": "1.1"}))  # collectstatic's

    result = manage(todo_env(production_env), "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "no issues (0 silenced)" in result.stdout
