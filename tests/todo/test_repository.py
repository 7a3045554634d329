"""The DynamoDB repository: items <-> to-dos, counters, cursors, and what outages look like."""

import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import boto3
import pytest
from botocore.config import Config
from botocore.stub import Stubber

from myblog.core.errors import ServiceUnavailable
from todo import repository
from todo.domain import InvalidCursor, QuotaExceeded, Todo, TodoChanges, TodoNotFound, VersionConflict, new_todo_id
from todo.repository import TodoRepository


def a_todo(owner: str = "owner-1", **fields) -> Todo:
    now = datetime.now(UTC)
    values = {"id": new_todo_id(), "title": "t", "completed": False, "order": 0, "created_at": now, "updated_at": now}
    return Todo(owner=owner, version=1, **{**values, **fields})


@pytest.fixture
def repo() -> TodoRepository:
    return repository.todo_repository()


def test_a_todo_survives_the_round_trip_through_an_item(repo):
    todo = a_todo(title="Ünïcödé ✓", completed=True, order=-(2**31))

    repo.create(todo=todo, quota=10)

    assert repo.get(owner=todo.owner, todo_id=todo.id) == todo


def test_ids_sort_by_creation_time():
    earlier, later = new_todo_id(now_ms=1_700_000_000_000), new_todo_id(now_ms=1_700_000_000_001)

    assert earlier < later
    assert len(earlier) == 26


def test_the_counter_follows_creates_and_deletes(repo):
    todos = [a_todo() for _ in range(4)]
    for todo in todos:
        repo.create(todo=todo, quota=10)
    repo.delete(owner="owner-1", todo_id=todos[0].id)

    assert repo.count(owner="owner-1") == 3
    assert repo.delete_all(owner="owner-1") == 3
    assert repo.count(owner="owner-1") == 0


def test_the_quota_is_exact(repo):
    for _ in range(2):
        repo.create(todo=a_todo(), quota=2)

    with pytest.raises(QuotaExceeded):
        repo.create(todo=a_todo(), quota=2)
    assert repo.count(owner="owner-1") == 2


def test_the_counter_item_never_appears_in_a_page(repo):
    repo.create(todo=a_todo(), quota=5)

    page = repo.page(owner="owner-1", limit=10)

    assert len(page.items) == 1
    assert page.cursor is None


def test_a_conditional_update_tells_gone_from_changed(repo):
    todo = repo.create(todo=a_todo(), quota=5)

    with pytest.raises(VersionConflict):
        repo.update(owner=todo.owner, todo_id=todo.id, changes=TodoChanges(title="x"), expected_versions=[7])
    with pytest.raises(TodoNotFound):
        repo.update(owner="someone-else", todo_id=todo.id, changes=TodoChanges(title="x"), expected_versions=[1])


def test_an_update_never_creates_an_item(repo):
    with pytest.raises(TodoNotFound):
        repo.update(owner="owner-1", todo_id=new_todo_id(), changes=TodoChanges(title="upsert?"))

    assert repo.page(owner="owner-1", limit=10).items == []


def test_a_cursor_is_bound_to_its_owner(repo):
    for _ in range(3):
        repo.create(todo=a_todo(), quota=5)
    cursor = repo.page(owner="owner-1", limit=1).cursor

    assert cursor
    with pytest.raises(InvalidCursor):
        repo.page(owner="owner-2", limit=1, cursor=cursor)


@pytest.mark.parametrize(
    "code",
    ["ProvisionedThroughputExceededException", "ThrottlingException", "RequestLimitExceeded", "InternalServerError"],
)
def test_throttling_and_outages_become_service_unavailable(code):
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        stub.add_client_error("query", service_error_code=code, http_status_code=400 if "Exceeded" in code else 500)

        with pytest.raises(ServiceUnavailable):
            TodoRepository(client, "todos").page(owner="o", limit=5)


def test_an_unreachable_endpoint_becomes_service_unavailable():
    client = boto3.client(
        "dynamodb",
        endpoint_url="http://127.0.0.1:9",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",
        config=Config(retries={"max_attempts": 1}, connect_timeout=1),
    )

    with pytest.raises(ServiceUnavailable):
        TodoRepository(client, "todos").get(owner="o", todo_id="i")


def test_the_api_answers_503_with_retry_after_when_dynamodb_throttles(alice_api):
    client = repository.todo_repository().client
    with Stubber(client) as stub:
        stub.add_client_error(
            "query", service_error_code="ProvisionedThroughputExceededException", http_status_code=400
        )

        response = alice_api.get("/api/todos/")

    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "service_unavailable"


def test_the_api_answers_503_when_a_write_is_throttled(alice_api):
    client = repository.todo_repository().client
    with Stubber(client) as stub:
        stub.add_client_error("transact_write_items", service_error_code="ThrottlingException", http_status_code=400)

        response = alice_api.post("/api/todos/", {"title": "later"})

    assert response.status_code == 503
    assert "Retry-After" in response.headers


def test_with_dax_endpoint_set_the_repository_uses_the_dax_client(settings, monkeypatch):
    import amazondax

    built = []

    class FakeDax:
        def __init__(self, **kwargs):
            built.append(kwargs)

    monkeypatch.setattr(amazondax, "AmazonDaxClient", FakeDax)
    repository._dax_client.cache_clear()
    settings.DAX_ENDPOINT = "daxs://todos.abc123.dax-clusters.us-east-1.amazonaws.com"
    try:
        repo = repository.todo_repository()
    finally:
        repository._dax_client.cache_clear()

    assert isinstance(repo.client, FakeDax)
    assert built == [{"endpoint_url": settings.DAX_ENDPOINT, "region_name": settings.AWS_REGION}]


def test_without_dax_endpoint_the_dax_client_is_never_imported():
    code = (
        "import django, sys; django.setup();"
        "from todo.repository import todo_repository; todo_repository();"
        "import todo.api, todo.urls;"
        "print('amazondax' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={"DJANGO_SETTINGS_MODULE": "myblog.settings", "PATH": ""},
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        check=True,
    )

    assert result.stdout.strip() == "False"


def conflict(stub: Stubber, reasons: list[str]) -> None:
    stub.add_client_error(
        "transact_write_items",
        service_error_code="TransactionCanceledException",
        http_status_code=400,
        modeled_fields={"CancellationReasons": [{"Code": code} for code in reasons]},
    )


def test_a_transaction_conflict_on_the_counter_is_retried():
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        conflict(stub, ["TransactionConflict", "None"])
        stub.add_response("transact_write_items", {})

        created = TodoRepository(client, "todos").create(todo=a_todo(), quota=10)

        stub.assert_no_pending_responses()
    assert created.version == 1


def test_a_lasting_transaction_conflict_becomes_service_unavailable():
    client = boto3.client("dynamodb", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(client) as stub:
        for _ in range(4):
            conflict(stub, ["TransactionConflict", "None"])

        with pytest.raises(ServiceUnavailable):
            TodoRepository(client, "todos").create(todo=a_todo(), quota=10)


def test_concurrent_creates_by_one_user_all_succeed_and_count_right(repo):
    import threading

    todos = [a_todo() for _ in range(10)]
    threads = [threading.Thread(target=repo.create, kwargs={"todo": todo, "quota": 100}) for todo in todos]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert repo.count(owner="owner-1") == 10
    assert len(repo.page(owner="owner-1", limit=50).items) == 10
