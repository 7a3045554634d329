"""SnapStart's runtime hooks (myblog/snapstart.py), without AWS.

os.fork stands in for Lambda restoring one snapshot into several execution environments: the
hooks registered with snapshot_restore_py run as Lambda runs them (before the snapshot in reverse
order of registration, after restore in order), and each child reports what it holds. One
difference is undone on purpose: CPython re-seeds ``random`` in a forked child, a restore does
not, so each child first puts back the state the "snapshot" held.
"""

import json
import os
import random
from collections.abc import Callable
from typing import Any

import pytest
import snapshot_restore_py
from django.apps import apps
from django.db import connection
from django.test import Client

from myblog import snapstart
from myblog.blog.models import Post
from myblog.core import aws
from tests.factories import PostFactory
from tests.test_cold_imports import run_in_new_process
from todo import domain


class Captured(Exception):
    """Raised by the before-send hook: the request was signed and need not be sent."""


def database_identity() -> str:
    """The server process behind this connection on PostgreSQL. SQLite has no server to share:
    the suite's database is Django's in-memory one, which close() keeps open by design and fork
    copies into each child."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_backend_pid()")
            return str(cursor.fetchone()[0])
    assert connection.is_in_memory_db()
    return f"in-memory in process {os.getpid()}"


def run_restored_copy(hooks: list[Any], random_state: tuple[Any, ...], token: str) -> dict[str, Any]:
    """What one restored copy does: hooks, then draw, sign and answer as the function would."""
    random.setstate(random_state)
    os.environ["AWS_ACCESS_KEY_ID"] = f"AKIA{token.upper()}"
    os.environ["AWS_SECRET_ACCESS_KEY"] = f"secret-{token}"
    os.environ["AWS_SESSION_TOKEN"] = token  # a restore comes with the environment's own credentials
    for hook, args, kwargs in hooks:
        hook(*args, **kwargs)

    s3 = aws.client("s3")
    sent: dict[str, str] = {}

    def capture(request: Any, **_: Any) -> None:
        sent["token"] = request.headers.get("X-Amz-Security-Token", b"").decode()
        raise Captured

    s3.meta.events.register("before-send.s3.ListBuckets", capture)
    with pytest.raises(Captured):
        s3.list_buckets()

    response = Client().get("/")
    db_identity = database_identity()
    return {
        "random": random.random(),  # noqa: S311 - the state under test, not a secret
        "todo_id": domain.new_todo_id(),
        "request_id": response.headers.get("X-Request-Id"),
        "signed_with": sent["token"],
        "status": response.status_code,
        "lists_the_post": b"Snapshot and restore" in response.content,
        "db": db_identity,
    }


def fork(work: Callable[[], dict[str, Any]]) -> tuple[int, int]:
    """A restored copy: a child process that does `work` and reports it through a pipe."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report and leave without running the parent's atexit or pytest's teardown
        os.close(read)
        try:
            report = work()
        except BaseException as exc:  # noqa: BLE001 - reported to the parent, which fails the test
            report = {"error": repr(exc)}
        with os.fdopen(write, "w") as out:
            json.dump(report, out)
        os._exit(0)
    os.close(write)
    return read, pid


def collect(read: int, pid: int) -> dict[str, Any]:
    with os.fdopen(read) as pipe:
        report = json.load(pipe)
    os.waitpid(pid, 0)
    assert "error" not in report, report["error"]
    return report


@pytest.mark.django_db(transaction=True)
def test_copies_restored_from_one_snapshot_share_no_connection_randomness_or_credentials(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    PostFactory(title="Snapshot and restore", status=Post.Status.PUBLISHED)
    settings.AWS_ACCESS_KEY_ID = settings.AWS_SECRET_ACCESS_KEY = None  # production: the environment's credentials
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIASNAPSHOT")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret-snapshot")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "snapshot")
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "myblog-production")
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    aws._build.cache_clear()
    apps.get_app_config("snapstart").ready()  # what django.setup() runs in Zappa's handler

    snapshot_db = database_identity()  # the init touched the database, as Django's checks may
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)
    random_state = random.getstate()

    after = snapshot_restore_py.get_after_restore()
    children = [
        fork(lambda token=token: run_restored_copy(after, random_state, token)) for token in ("first", "second")
    ]
    first, second = (collect(read, pid) for read, pid in children)

    for copy, token in ((first, "first"), (second, "second")):
        assert copy["status"] == 200 and copy["lists_the_post"]
        assert copy["signed_with"] == token
    assert first["random"] != second["random"]
    assert first["todo_id"] != second["todo_id"]
    assert first["request_id"] != second["request_id"]
    assert len({snapshot_db, first["db"], second["db"]}) == 3
    aws._build.cache_clear()


def test_registering_the_hooks_off_lambda_registers_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])

    snapstart.register()

    assert snapshot_restore_py.get_before_snapshot() == []
    assert snapshot_restore_py.get_after_restore() == []


def test_the_restore_hooks_import_nothing_the_service_had_not_loaded(monkeypatch: pytest.MonkeyPatch) -> None:
    """The blog never imports todo.tokens (PyJWT, cryptography): restoring a blog copy must not either."""
    import sys

    import todo

    monkeypatch.delitem(sys.modules, "todo.tokens")
    monkeypatch.delattr(todo, "tokens")

    snapstart.after_restore()

    assert "todo.tokens" not in sys.modules
    aws._build.cache_clear()


BEFORE_SNAPSHOT_IN_A_NEW_PROCESS = """
import json, sys
import django
django.setup()
from django.conf import settings
from myblog import snapstart
snapstart.before_snapshot()
print(json.dumps(sorted(sys.modules)))
"""


def test_before_the_snapshot_the_modules_django_loads_on_a_first_request_are_loaded() -> None:
    """Django imports these only when the first request needs them (a fresh process shows it):
    messages storage, the session serializer, the cache backend, the SQL compiler, the mail backend."""
    loaded = set(run_in_new_process(BEFORE_SNAPSHOT_IN_A_NEW_PROCESS, "all")[0])
    assert {
        "django.contrib.messages.storage.fallback",
        "django.contrib.sessions.serializers",
        "django.core.cache.backends.locmem",
        "django.db.models.sql.compiler",
        "django_ses",
    } <= loaded


def test_a_client_rebuilt_after_a_restore_reads_no_service_model_from_disk(monkeypatch: pytest.MonkeyPatch) -> None:
    """The models parsed before the snapshot serve the clients every copy builds afresh (one botocore
    loader for the process), instead of each new client reading and parsing its JSON again."""
    from botocore import loaders

    aws._build.cache_clear()
    aws.client("dynamodb")
    aws._build.cache_clear()  # what after_restore does
    read: list[str] = []
    original = loaders.JSONFileLoader.load_file
    monkeypatch.setattr(
        loaders.JSONFileLoader, "load_file", lambda self, path: read.append(path) or original(self, path)
    )

    aws.client("dynamodb")

    assert read == []
    aws._build.cache_clear()


# No test transaction: the warm-up goes through Django's handler, whose request_started signal
# closes a connection left outside autocommit (as none is on Lambda).
@pytest.mark.django_db(transaction=True)
def test_before_the_snapshot_the_blogs_public_reads_are_answered_once() -> None:
    """A restored copy's first reader then finds their views, SQL and kept pages warm (measured by
    benchmarks/cold_start.py: the blog's first request after a restore, 36 ms without, 7 ms with)."""
    PostFactory(title="Warm before the snapshot", status=Post.Status.PUBLISHED)

    assert snapstart.warm_up() == {"/": 200, "/api/blog/posts/": 200, "/api/todos/": 401}


@pytest.mark.django_db(transaction=True)
def test_the_todo_apis_warm_up_asks_for_a_host_it_answers_when_it_has_no_site_url(settings: Any) -> None:
    settings.SITE_URL = ""
    settings.ALLOWED_HOSTS = [".execute-api.us-east-1.amazonaws.com", "todo.example.com"]

    assert snapstart.warm_up()["/api/todos/"] == 401


@pytest.mark.django_db
def test_a_warm_up_that_fails_is_logged_and_the_snapshot_is_still_taken(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    from django.core.handlers.wsgi import WSGIHandler

    def unreachable_database(self: Any, environ: Any, start_response: Any) -> Any:
        raise ConnectionError("the database cannot be reached while the version is published")

    monkeypatch.setattr(WSGIHandler, "__call__", unreachable_database)

    assert snapstart.warm_up() == {}
    assert "SnapStart warm-up of / failed" in caplog.text


RESTORED_HOURS_LATER = 3 * 3600  # how long the snapshot waited before this restore


def read_as_the_first_reader(publish_while_waiting: bool) -> dict[str, Any]:
    """A restored copy, hours after its snapshot: the after-restore hooks, then the index as the
    warm-up read it, counting the SQL that the read itself ran."""
    import time

    from django.db import connection as database
    from django.test.utils import CaptureQueriesContext

    wall_clock = time.time
    time.time = lambda: wall_clock() + RESTORED_HOURS_LATER  # the child's own clock, not the parent's
    if publish_while_waiting:
        PostFactory(title="Published while the snapshot waited", status=Post.Status.PUBLISHED)
    for hook, args, kwargs in snapshot_restore_py.get_after_restore():
        hook(*args, **kwargs)
    with CaptureQueriesContext(database) as queries:
        response = Client().get("/", secure=True, HTTP_ACCEPT="text/html")
    page = response.content.decode()
    return {
        "status": response.status_code,
        "queries": len(queries),
        "titles": [
            title for title in ("Warm before the snapshot", "Published while the snapshot waited") if title in page
        ],
    }


@pytest.fixture
def snapshot_taken(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    """A blog function's init and before-snapshot hooks, as on Lambda, with the freshness kept a
    minute (production keeps it a second: what matters is that a restore does not trust it)."""
    settings.PUBLIC_FRESHNESS_TTL = 60
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "myblog-production")
    monkeypatch.setattr(snapshot_restore_py, "_before_snapshot_registry", [])
    monkeypatch.setattr(snapshot_restore_py, "_after_restore_registry", [])
    apps.get_app_config("snapstart").ready()
    PostFactory(title="Warm before the snapshot", status=Post.Status.PUBLISHED)
    for hook, args, kwargs in reversed(snapshot_restore_py.get_before_snapshot()):
        hook(*args, **kwargs)
    yield
    aws._build.cache_clear()


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("snapshot_taken")
def test_a_restored_copys_first_reader_gets_the_page_read_before_the_snapshot_without_a_query() -> None:
    """The connection and the freshness are the restore hook's work, not the first reader's."""
    copy = collect(*fork(lambda: read_as_the_first_reader(publish_while_waiting=False)))

    assert copy == {"status": 200, "queries": 0, "titles": ["Warm before the snapshot"]}


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("snapshot_taken")
def test_a_post_published_while_the_snapshot_waited_is_on_the_first_page_a_restored_copy_serves() -> None:
    """And rendered by the restore hook: the first reader still runs no query."""
    copy = collect(*fork(lambda: read_as_the_first_reader(publish_while_waiting=True)))

    assert copy == {
        "status": 200,
        "queries": 0,
        "titles": ["Warm before the snapshot", "Published while the snapshot waited"],
    }


def test_a_restore_is_not_held_past_its_budget_by_a_step_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    """Lambda fails a restore whose after-restore hooks take 10 s (SnapStartTimeoutException), and
    with it the invocation: a step stuck on a service that does not answer (a database resuming, a
    network without a route) is left to finish behind the first request, never waited for."""
    import threading

    release, finished = threading.Event(), threading.Event()

    def hangs() -> None:
        release.wait(timeout=5)
        finished.set()

    monkeypatch.setattr(snapstart, "RESTORE_BUDGET_SECONDS", 0.2)
    monkeypatch.setattr(snapstart, "_before_the_first_reader", lambda: [hangs])
    try:
        snapstart.after_restore()
        assert not finished.is_set(), "the restore waited for the hung step"
    finally:
        release.set()
        aws._build.cache_clear()
