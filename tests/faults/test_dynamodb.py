"""The to-do API while DynamoDB throttles or is down: 503 with Retry-After in the JSON error shape,
never a 500, and no acknowledged write lost."""

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.stub import Stubber
from django.conf import settings as django_settings

from infra.bootstrap import bootstrap
from tests.faults.conftest import Faults, LocalEndpoint
from tests.todo.conftest import ApiClient, CognitoTestUser
from todo import cognito, repository

THROTTLING_AND_OUTAGES = [
    ("ProvisionedThroughputExceededException", 400),
    ("ThrottlingException", 400),
    ("RequestLimitExceeded", 400),
    ("InternalServerError", 500),
]


def assert_unavailable(response: Any) -> None:
    assert response.status_code == 503, response.content
    assert int(response.headers["Retry-After"]) > 0
    body = response.json()
    assert set(body) == {"error"}
    assert body["error"]["code"] == "service_unavailable"
    assert body["error"]["message"]
    assert body["error"]["fields"] == {}


def dynamodb() -> Any:
    """The client the API uses under the current settings."""
    return repository.todo_repository().client


def stored(user: CognitoTestUser) -> tuple[list[dict[str, Any]], int]:
    """The user's to-dos and their counter, read past the API."""
    repo = repository.todo_repository()
    items = repo.page(owner=user.sub, limit=1000).items
    todos = [{"id": t.id, "title": t.title, "completed": t.completed, "version": t.version} for t in items]
    return todos, repo.count(owner=user.sub)


def acknowledged(response_or_item: Any) -> dict[str, Any]:
    """What the API acknowledged about a to-do: from a response, or from an item of a list."""
    body = response_or_item if isinstance(response_or_item, dict) else response_or_item.json()
    return {key: body[key] for key in ("id", "title", "completed", "version")}


# --- (a) DynamoDB answers with throttling and internal errors -----------------------------------


@pytest.mark.parametrize(("code", "status"), THROTTLING_AND_OUTAGES)
def test_every_read_and_write_answers_503_while_dynamodb_throttles_and_changes_nothing(alice, code, status):
    api = ApiClient(alice)
    created = api.post("/api/todos/", {"title": "kept"})
    todo = f"/api/todos/{created.json()['id']}/"
    before = stored(alice)
    # What each request asks DynamoDB first; Stubber checks the API made exactly these calls.
    requests = [
        ("get", "/api/todos/", None, "query"),
        ("get", todo, None, "get_item"),
        ("post", "/api/todos/", {"title": "new"}, "transact_write_items"),
        ("patch", todo, {"title": "changed"}, "update_item"),
        ("put", todo, {"title": "replaced", "completed": True}, "update_item"),
        ("delete", todo, None, "transact_write_items"),
        ("delete", "/api/todos/", None, "query"),
    ]

    with Stubber(dynamodb()) as stub:
        for *_, operation in requests:
            stub.add_client_error(operation, service_error_code=code, http_status_code=status)
        for method, path, body, _ in requests:
            assert_unavailable(getattr(api, method)(path, body) if body else getattr(api, method)(path))
        stub.assert_no_pending_responses()

    assert stored(alice) == before


@pytest.mark.parametrize("reason", ["ThrottlingError", "ProvisionedThroughputExceeded", "TransactionConflict"])
def test_a_write_transaction_cancelled_by_throttling_is_retried_then_answered_503(alice, faults: Faults, reason):
    api = ApiClient(alice)
    cancelled = {"CancellationReasons": [{"Code": reason}, {"Code": "None"}]}
    # The first attempt is cancelled, the retry goes through.
    seen = faults.add(
        dynamodb().meta.events,
        "dynamodb",
        "TransactWriteItems",
        calls={1},
        code="TransactionCanceledException",
        status=400,
        fields=cancelled,
    )

    created = api.post("/api/todos/", {"title": "after one retry"})

    assert created.status_code == 201, created.content
    assert seen == [1, 2]
    assert stored(alice) == ([acknowledged(created)], 1)

    # Every attempt is cancelled: the client is told to come back later, and nothing is stored.
    faults.add(
        dynamodb().meta.events, "dynamodb", "TransactWriteItems", code="TransactionCanceledException", fields=cancelled
    )
    assert_unavailable(api.post("/api/todos/", {"title": "never stored"}))
    assert_unavailable(api.delete(f"/api/todos/{created.json()['id']}/"))
    assert stored(alice) == ([acknowledged(created)], 1)


def test_a_conditional_write_whose_follow_up_read_is_throttled_answers_503(alice, faults: Faults):
    api = ApiClient(alice)
    created = api.post("/api/todos/", {"title": "v1"})
    todo = f"/api/todos/{created.json()['id']}/"
    api.patch(todo, {"title": "v2"})
    # The If-Match fails, and the read that tells "gone" from "changed" is throttled.
    faults.add(dynamodb().meta.events, "dynamodb", "GetItem", code="ProvisionedThroughputExceededException", status=400)

    assert_unavailable(api.patch(todo, {"title": "stale"}, headers={"if-match": created.headers["ETag"]}))
    assert_unavailable(api.delete(todo, headers={"if-match": created.headers["ETag"]}))


def test_delete_all_throttled_half_way_keeps_the_counter_equal_to_the_items(alice, faults: Faults, monkeypatch):
    monkeypatch.setattr(repository, "_DELETE_CHUNK", 2)  # several chunks without 100 to-dos
    api = ApiClient(alice)
    for n in range(5):
        assert api.post("/api/todos/", {"title": f"todo {n}"}).status_code == 201
    faults.add(dynamodb().meta.events, "dynamodb", "TransactWriteItems", calls={2}, code="ThrottlingException")

    assert_unavailable(api.delete("/api/todos/"))

    todos, count = stored(alice)
    assert (len(todos), count) == (3, 3)  # the first chunk went, with its part of the counter
    assert api.delete("/api/todos/").status_code == 204  # the client's retry finishes the job
    assert stored(alice) == ([], 0)


# --- (b) the endpoint itself goes away mid-test ---------------------------------------------


@pytest.fixture
def dynamodb_endpoint(local_aws, settings, monkeypatch) -> Iterator[LocalEndpoint]:
    """The to-dos on an endpoint of their own that the test can stop. Cognito stays on the session
    endpoint (pinned by id and key-set URL), so only DynamoDB goes away."""
    pool_id = cognito.user_pool_id()
    settings.COGNITO_USER_POOL_ID = pool_id
    settings.COGNITO_APP_CLIENT_ID = cognito.app_client_id()
    settings.COGNITO_JWKS_URL = f"{local_aws}/{pool_id}/.well-known/jwks.json"
    endpoint = LocalEndpoint()
    settings.AWS_ENDPOINT_URL = endpoint.url
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint.url)
    bootstrap("local", out=lambda line: None)
    assert django_settings.TODO_TABLE in dynamodb().list_tables()["TableNames"]
    yield endpoint
    if endpoint.running:
        endpoint.stop()


def test_while_dynamodb_is_down_every_request_answers_503_and_no_acknowledged_write_is_lost(
    alice, dynamodb_endpoint: LocalEndpoint
):
    api = ApiClient(alice)
    first, second, third = (api.post("/api/todos/", {"title": f"before {n}"}) for n in range(3))
    changed = api.patch(f"/api/todos/{first.json()['id']}/", {"title": "changed before", "completed": True})
    assert [r.status_code for r in (first, second, third, changed)] == [201, 201, 201, 200]
    assert api.delete(f"/api/todos/{third.json()['id']}/").status_code == 204
    todo = f"/api/todos/{second.json()['id']}/"

    dynamodb_endpoint.stop()
    assert_unavailable(api.get("/api/todos/"))
    assert_unavailable(api.get(todo))
    assert_unavailable(api.post("/api/todos/", {"title": "during the outage"}))
    assert_unavailable(api.patch(todo, {"title": "during the outage"}))
    assert_unavailable(api.put(todo, {"title": "during the outage"}, headers={"if-match": second.headers["ETag"]}))
    assert_unavailable(api.delete(todo))
    assert_unavailable(api.delete("/api/todos/"))
    dynamodb_endpoint.start()

    after = api.post("/api/todos/", {"title": "after"})
    assert after.status_code == 201
    listed = api.get("/api/todos/", {"limit": 100})
    assert listed.status_code == 200
    expected = [acknowledged(changed), acknowledged(second), acknowledged(after)]
    assert [acknowledged(item) for item in listed.json()] == expected
    assert stored(alice) == (expected, 3)


def test_an_outage_in_the_middle_of_delete_all_leaves_the_counter_equal_to_the_items(
    alice, dynamodb_endpoint: LocalEndpoint, faults: Faults, monkeypatch
):
    monkeypatch.setattr(repository, "_DELETE_CHUNK", 2)
    api = ApiClient(alice)
    for n in range(5):
        assert api.post("/api/todos/", {"title": f"todo {n}"}).status_code == 201
    # The endpoint dies just before the second chunk's transaction is sent.
    faults.add(dynamodb().meta.events, "dynamodb", "TransactWriteItems", calls={2}, action=dynamodb_endpoint.stop)

    assert_unavailable(api.delete("/api/todos/"))

    dynamodb_endpoint.start()
    todos, count = stored(alice)
    assert (len(todos), count) == (3, 3)
    assert api.delete("/api/todos/").status_code == 204
    assert stored(alice) == ([], 0)
