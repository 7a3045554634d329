"""The generated client SDKs (`make sdk`): checked in without drift, and working against a real server."""

import difflib
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from myblog_client import Client
from myblog_client.api.blog import blog_posts_list, blog_posts_retrieve
from myblog_client.models import Error as BlogError
from myblog_client.models import PaginatedPostList, PostDetail
from mytodolist_client import AuthenticatedClient
from mytodolist_client.api.todos import (
    todos_create,
    todos_destroy,
    todos_list,
    todos_partial_update,
    todos_retrieve,
)
from mytodolist_client.models import Error, PatchedTodoInput, TodoInput, TodoOutput

from scripts.generate_sdk import MOBILE_SDKS, generate_mobile_clients
from tests.factories import PostFactory
from tests.todo.conftest import sign_up_and_in
from todo import cognito, tokens

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
# Made by running or importing the clients, never generated.
NOT_GENERATED = {"__pycache__", ".ruff_cache"}
# clients/ts/ is hand-written around the one file that make sdk generates there; clients/web/ (the
# MyToDoList web app) is hand-written and only uses the TypeScript client.
TS_GENERATED = "ts/src/generated/"
HAND_WRITTEN = ("web/",)
MAX_DIFF_LINES = 60


# --- no drift -----------------------------------------------------------------------------------


def _files(root: Path) -> dict[str, Path]:
    found = {
        path.relative_to(root).as_posix(): path
        for path in root.rglob("*")
        if path.is_file() and not NOT_GENERATED & set(path.relative_to(root).parts)
    }
    return {
        name: path
        for name, path in found.items()
        if not name.startswith(HAND_WRITTEN) and (not name.startswith("ts/") or name.startswith(TS_GENERATED))
    }


def _drift(checked_in: Path, generated: Path) -> list[str]:
    """What differs between the two trees, as lines a reader can act on."""
    ours, fresh = _files(checked_in), _files(generated)
    report = [f"missing from clients/: {name}" for name in sorted(fresh.keys() - ours.keys())]
    report += [f"not generated any more: clients/{name}" for name in sorted(ours.keys() - fresh.keys())]
    for name in sorted(ours.keys() & fresh.keys()):
        old, new = ours[name].read_text(), fresh[name].read_text()
        if old != new:
            diff = difflib.unified_diff(
                old.splitlines(), new.splitlines(), f"clients/{name}", f"generated/{name}", lineterm=""
            )
            report += list(diff)
    return report


@pytest.mark.slow
def test_the_checked_in_sdks_are_what_make_sdk_generates(tmp_path):
    out = tmp_path / "clients"
    # The configuration files stay in clients/; the generator reads them from there.
    subprocess.run([sys.executable, str(ROOT / "scripts" / "generate_sdk.py"), "--out", str(out)], check=True, cwd=ROOT)
    for config in CLIENTS.glob("*.config.yaml"):
        (out / config.name).write_text(config.read_text())

    drift = _drift(CLIENTS, out)

    if drift:
        shown = drift[:MAX_DIFF_LINES]
        if len(drift) > MAX_DIFF_LINES:
            shown.append(f"... and {len(drift) - MAX_DIFF_LINES} more lines")
        pytest.fail("The client SDKs in clients/ are out of date: run `make sdk`.\n" + "\n".join(shown), pytrace=False)


# --- the Swift and Kotlin clients: generated and drift-checked, not compiled (no toolchain here) --

SWIFT_TODOS = CLIENTS / "swift" / "Sources" / "MyToDoList" / "APIs" / "TodosAPI.swift"
KOTLIN_SOURCES = CLIENTS / "kotlin" / "src" / "main" / "kotlin" / "mytodolist" / "client"


def _tree(root: Path) -> dict[str, str]:
    return {path.relative_to(root).as_posix(): path.read_text() for path in root.rglob("*") if path.is_file()}


def test_the_swift_and_kotlin_clients_are_what_openapi_generator_makes_of_the_checked_in_schema(tmp_path):
    # From the checked-in schema, so this stays quick (one JVM, no Django); the slow test above
    # regenerates the schema too.
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "todo.yaml").write_text((CLIENTS / "schemas" / "todo.yaml").read_text())

    generate_mobile_clients(tmp_path)

    drift = []
    for name in MOBILE_SDKS:
        ours, fresh = _tree(CLIENTS / name), _tree(tmp_path / name)
        drift += [f"missing from clients/{name}/: {path}" for path in sorted(fresh.keys() - ours.keys())]
        drift += [f"not generated any more: clients/{name}/{path}" for path in sorted(ours.keys() - fresh.keys())]
        for path in sorted(ours.keys() & fresh.keys()):
            if ours[path] != fresh[path]:
                old, new = f"clients/{name}/{path}", f"generated/{name}/{path}"
                drift += difflib.unified_diff(ours[path].splitlines(), fresh[path].splitlines(), old, new, lineterm="")
    assert not drift, "The Swift/Kotlin clients are out of date: run `make sdk`.\n" + "\n".join(drift[:MAX_DIFF_LINES])


def test_the_swift_and_kotlin_clients_send_the_etag_as_if_match_on_every_write_of_a_todo():
    swift = SWIFT_TODOS.read_text()
    kotlin = (KOTLIN_SOURCES / "apis" / "TodosApi.kt").read_text()

    for operation in ("todosUpdate", "todosPartialUpdate", "todosDestroy"):
        swift_builder = re.search(rf"func {operation}WithRequestBuilder\((.*?)\n    }}\n", swift, re.DOTALL)
        kotlin_config = re.search(rf"fun {operation}RequestConfig\((.*?)\n    }}\n", kotlin, re.DOTALL)
        assert swift_builder and kotlin_config, operation
        assert '"If-Match": ifMatch' in swift_builder.group(1), operation
        assert 'localVariableHeaders["If-Match"] = this' in kotlin_config.group(1), operation


def test_the_swift_and_kotlin_clients_have_the_error_body_as_a_typed_api_error_model():
    swift = (CLIENTS / "swift" / "Sources" / "MyToDoList" / "Models" / "ApiError.swift").read_text()
    kotlin = (KOTLIN_SOURCES / "models" / "ApiError.kt").read_text()

    assert "public struct ApiError: Sendable, Codable, Hashable" in swift
    assert "public var error: ErrorDetail" in swift
    assert "data class ApiError" in kotlin
    assert '@Json(name = "error")' in kotlin
    assert "val error: ErrorDetail" in kotlin


# --- the blog's read API ------------------------------------------------------------------------


@pytest.fixture
def blog(live_server) -> Iterator[Client]:
    with Client(base_url=live_server.url, raise_on_unexpected_status=True) as client:
        yield client


def test_the_blog_sdk_pages_through_the_published_posts(blog, settings):
    newest = PostFactory(title="Newest", tags=["python"])
    PostFactory.create_batch(2)

    first = blog_posts_list.sync(client=blog, page_size=2)
    assert isinstance(first, PaginatedPostList)
    assert first.count == 3
    assert [post.slug for post in first.results][0] == newest.slug
    assert first.results[0].title == "Newest"
    assert first.results[0].tags == ["python"]
    # Absolute URLs name the configured public origin (SITE_URL), not the host that was asked.
    assert first.results[0].url == settings.SITE_URL + newest.get_absolute_url()
    assert first.previous is None
    assert isinstance(first.next_, str)

    second = blog_posts_list.sync(client=blog, page_size=2, page=2)
    assert isinstance(second, PaginatedPostList)
    assert len(second.results) == 1
    assert second.next_ is None
    assert {post.slug for post in first.results + second.results} == {
        post.slug for post in PostFactory._meta.model.objects.all()
    }


def test_the_blog_sdk_reads_a_post_by_its_slug(blog):
    post = PostFactory(title="Read through the SDK", summary="Short.")

    detail = blog_posts_retrieve.sync(post.slug, client=blog)

    assert isinstance(detail, PostDetail)
    assert (detail.slug, detail.title, detail.summary) == (post.slug, "Read through the SDK", "Short.")
    assert detail.author == "Ada Writer"
    assert detail.body == post.body
    assert "<h2>A heading</h2>" in detail.body_html
    assert detail.cover_photo is None
    assert detail.publish_at == post.publish_at


def test_the_blog_sdk_reports_a_missing_post_as_a_typed_404(blog):
    response = blog_posts_retrieve.sync_detailed("no-such-post", client=blog)

    assert response.status_code == 404
    assert isinstance(response.parsed, BlogError)
    assert response.parsed.error.code == "not_found"


# --- the to-do API with a real Cognito token ----------------------------------------------------


@pytest.fixture
def todos(live_server, local_aws) -> Iterator[AuthenticatedClient]:
    # The endpoint was reset and bootstrapped for this test: pools have new ids and keys.
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()
    idp = boto3.client("cognito-idp", endpoint_url=local_aws, region_name="us-east-1")
    alice = sign_up_and_in(
        idp, client_id=cognito.app_client_id(), pool_id=cognito.user_pool_id(), email="alice@example.com"
    )
    with AuthenticatedClient(
        base_url=live_server.url, token=alice.access_token, raise_on_unexpected_status=True
    ) as client:
        yield client
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()


def _next_cursor(link: str | None) -> str | None:
    """The cursor of an RFC 8288 `Link: <url>; rel="next"` header."""
    match = re.fullmatch(r'<([^>]+)>;\s*rel="next"', link or "")
    return parse_qs(urlsplit(match.group(1)).query)["cursor"][0] if match else None


def test_the_todo_sdk_creates_pages_reads_changes_and_deletes_todos(todos, live_server):
    created = [todos_create.sync(client=todos, body=TodoInput(title=f"Task {n}", order=n)) for n in range(3)]
    assert all(isinstance(todo, TodoOutput) for todo in created)
    first = created[0]
    assert (first.title, first.completed, first.order, first.version) == ("Task 0", False, 0, 1)
    assert first.url == f"{live_server.url}/api/todos/{first.id}/"
    assert first.created_at == first.updated_at
    assert first.created_at.tzinfo is not None

    page = todos_list.sync_detailed(client=todos, limit=2)
    assert page.status_code == 200
    assert [todo.id for todo in page.parsed] == [created[0].id, created[1].id]
    cursor = _next_cursor(page.headers.get("Link"))
    assert cursor
    last_page = todos_list.sync_detailed(client=todos, limit=2, cursor=cursor)
    assert [todo.title for todo in last_page.parsed] == ["Task 2"]
    assert _next_cursor(last_page.headers.get("Link")) is None

    read = todos_retrieve.sync_detailed(first.id, client=todos)
    assert read.parsed == first
    etag = read.headers["ETag"]

    changed = todos_partial_update.sync(first.id, client=todos, body=PatchedTodoInput(completed=True), if_match=etag)
    assert isinstance(changed, TodoOutput)
    assert (changed.title, changed.completed, changed.version) == ("Task 0", True, 2)
    assert changed.updated_at > first.updated_at

    stale = todos_partial_update.sync_detailed(
        first.id, client=todos, body=PatchedTodoInput(title="Lost update"), if_match=etag
    )
    assert stale.status_code == 412
    assert isinstance(stale.parsed, Error)
    assert stale.parsed.error.code == "precondition_failed"

    deleted = todos_destroy.sync_detailed(first.id, client=todos, if_match=f'"{changed.version}"')
    assert deleted.status_code == 204
    gone = todos_retrieve.sync_detailed(first.id, client=todos)
    assert gone.status_code == 404
    assert isinstance(gone.parsed, Error)
    assert gone.parsed.error.code == "not_found"
    assert [todo.id for todo in todos_list.sync(client=todos)] == [created[1].id, created[2].id]


def test_the_todo_sdk_gets_a_typed_401_without_a_valid_token(todos, live_server):
    with AuthenticatedClient(base_url=live_server.url, token="not-a-token") as stranger:
        response = todos_list.sync_detailed(client=stranger)

    assert response.status_code == 401
    assert isinstance(response.parsed, Error)
