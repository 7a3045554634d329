"""Lambda SnapStart runtime hooks (issue 14): what the snapshot may hold and what it must not.

With SnapStart, Lambda runs the function's init once, snapshots the memory and restores that
snapshot into every new execution environment. So the expensive, shareable work belongs before the
snapshot (the URLconf and every view, serializer and model behind it; the templates; botocore's
modules and service models), and whatever must be unique or fresh is redone after each restore:

- database connections: a socket from the snapshot would be shared by every restored copy (and
  the server closed it long ago), so they are closed before the snapshot and again after restore;
- ``random``: its state is copied into every restored copy, which would then draw the same values
  (the same retry jitter in todo/repository.py, so throttled copies would retry in lock-step).
  ``secrets`` and ``uuid4`` (to-do ids, request ids) read os.urandom and need nothing;
- AWS clients: myblog.core.aws caches them, each bound to the credentials and pooled connections
  of the environment that built it; after restore they are dropped so each copy signs with its own;
- the JWKS key sets of todo/tokens.py: their age is measured with time.monotonic(), which does not
  count the time a snapshot sits unused, so it is measured again by the wall clock; keys older than
  COGNITO_JWKS_MAX_AGE_SECONDS are fetched again;
- the blog's freshness (myblog/blog/caching.py), read again: the blog may have changed while the
  snapshot waited, and the pages answered before it are served only while it has not.

Whatever the hot first request would otherwise do lazily after a restore (read the freshness,
fetch the key set, render a page the blog changed, open the to-do table) is done by the
after-restore hook, in a thread with database connections of its own, best effort: a failure is
logged and left to the first request, and the hook waits for that work RESTORE_BUDGET_SECONDS at
most, so a restore never fails for it (Lambda allows 10 s).

The hooks are registered with ``snapshot_restore_py``, which Lambda's managed Python runtimes
provide (python3.12 and later, where SnapStart exists); registering is a no-op where the library
is absent or the process is not on Lambda. They only ever run when the function has ``snap_start``.
Zappa loads Django at import only with INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT set (README).
"""

import functools
import importlib
import io
import logging
import os
import random
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urlsplit

from django.apps import AppConfig, apps
from django.conf import settings

logger = logging.getLogger(__name__)

# The AWS services the code calls through myblog.core.aws (their models are loaded before the snapshot).
AWS_SERVICES = {
    "all": ("s3", "dynamodb", "cognito-idp", "cognito-identity"),
    "blog": ("s3",),
    "todo": ("s3", "dynamodb", "cognito-idp", "cognito-identity"),
}
# The project's own apps whose templates are compiled before the snapshot.
TEMPLATE_APPS = ("myblog.blog", "media", "notifications")


def before_snapshot() -> None:
    """Do the work every restored copy would otherwise repeat; leave no connection open."""
    from django.db import connections
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().reverse_dict  # noqa: B018 - imports every view of this service's URLconf and indexes it
    for app in TEMPLATE_APPS:
        if not apps.is_installed(app):
            continue
        root = Path(importlib.import_module(app).__path__[0]) / "templates"
        for template in root.rglob("*"):
            if template.is_file():
                get_template(template.relative_to(root).as_posix())  # kept by Django's cached loader

    from myblog.core import aws

    for service in AWS_SERVICES[settings.SERVICE]:
        aws.client(service)  # imports botocore and parses the service's model (kept by aws._loader)
    _load_what_the_first_request_would()
    warm_up()
    _best_effort([_renew_signing_keys], "before-snapshot")  # kept by every copy while young enough
    connections.close_all()


# Reads whose path (URL patterns, views, serializers, SQL, the page cache) the snapshot should have
# run once: a restored copy's first reader then finds it warm. Read-only, no user, no token: the
# to-do list answers 401, after its URL pattern, DRF's settings and authentication have run.
BLOG_READS = (("/", "text/html", 200), ("/api/blog/posts/", "application/json", 200))
TODO_READS = (("/api/todos/", "application/json", 401),)
WARM_UP_PATHS: dict[str, tuple[tuple[str, str, int], ...]] = {
    "all": BLOG_READS + TODO_READS,
    "blog": BLOG_READS,
    "todo": TODO_READS,
}
WARM_UP_OWNER = "snapstart-warm-up"
# How long a restore waits for its after-restore steps (Lambda allows the hooks 10 s in all).
RESTORE_BUDGET_SECONDS = 5.0


def warm_up() -> dict[str, int]:
    """GET each warm-up path through Django as CloudFront would send it; the status of each.

    Best effort: the snapshot must be taken even when the database cannot be reached while the
    version is published, so a failure is logged and the copy starts colder, never broken.
    """
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()
    host = urlsplit(getattr(settings, "SITE_URL", "")).hostname or _an_allowed_host()
    origin_secrets = getattr(settings, "CDN_ORIGIN_SECRETS", [])  # CloudFront's X-Origin-Verify
    statuses: dict[str, int] = {}
    for path, accept, expected in WARM_UP_PATHS[settings.SERVICE]:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": path,
            "QUERY_STRING": "",
            "SERVER_NAME": host,
            "SERVER_PORT": "443",
            "HTTP_HOST": host,
            "HTTP_ACCEPT": accept,
            "REMOTE_ADDR": "127.0.0.1",
            "wsgi.url_scheme": "https",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": sys.stderr,
            **({"HTTP_X_ORIGIN_VERIFY": origin_secrets[0]} if origin_secrets else {}),
        }
        started: list[str] = []
        try:
            response = app(environ, lambda status, headers, exc_info=None, seen=started: seen.append(status))
            for _ in response:
                pass
            response.close()
        except Exception:  # noqa: BLE001 - see above: log, and take the snapshot anyway
            logger.warning("SnapStart warm-up of %s failed", path, exc_info=True)
            continue
        statuses[path] = int(started[0].split()[0]) if started else 0
        if statuses[path] != expected:
            logger.warning("SnapStart warm-up of %s answered %s", path, statuses[path])
    return statuses


def _an_allowed_host() -> str:
    """A host the service answers (the to-do API has no SITE_URL: its own API domain)."""
    named = [host.lstrip(".") for host in settings.ALLOWED_HOSTS if host != "*"]
    return named[0] if named else "localhost"


def _load_what_the_first_request_would() -> None:
    """The modules Django imports only when the first request needs them (measured by
    benchmarks/cold_start.py: what that request imported after a simulated restore)."""
    from django.core.cache import caches
    from django.db import connections
    from django.utils.module_loading import import_string

    for name in (settings.MESSAGE_STORAGE, settings.SESSION_SERIALIZER, settings.EMAIL_BACKEND):
        import_string(name)  # MessageMiddleware's storage, the session's serializer, django-ses
    for alias in settings.CACHES:
        caches[alias]  # noqa: B018 - builds the backend (imports its module), connects to nothing
    for connection in connections.all():
        connection.ops.compiler("SQLCompiler")  # imports the SQL compilers, opens no connection


def after_restore() -> None:
    """Make this restored copy unique and fresh: its own connections, randomness and credentials."""
    from django.db import connections

    from myblog.core import aws

    connections.close_all()  # the snapshot's sockets, if any, are not this copy's
    random.seed()  # from os.urandom, different in every copy
    aws._build.cache_clear()  # built again with this environment's credentials (models stay parsed)
    # Lambda fails a restore (and its invocation) whose after-restore hooks take 10 s: the steps run
    # beside the hook, which waits for them RESTORE_BUDGET_SECONDS at most. A step held up by a
    # service that does not answer (Aurora resuming, say) goes on behind the first request.
    worker = threading.Thread(target=_in_own_connections, args=(_before_the_first_reader(),), daemon=True)
    worker.start()
    worker.join(RESTORE_BUDGET_SECONDS)
    if worker.is_alive():
        logger.warning("SnapStart after-restore steps still running after %s s: not waited for", RESTORE_BUDGET_SECONDS)


def _in_own_connections(steps: list[Callable[[], object]]) -> None:
    """The steps, in a thread whose database connections (Django's are per thread) end with it:
    what they leave for the first request is process-wide (the freshness, kept pages, the key set,
    the to-do table's client and its connection pool)."""
    from django.db import connections

    try:
        _best_effort(steps, "after-restore")
    finally:
        connections.close_all()


def _best_effort(steps: list[Callable[[], object]], phase: str) -> None:
    for step in steps:
        try:
            step()
        except Exception:  # noqa: BLE001 - left to the first request, which reports it as it always has
            logger.warning("SnapStart %s step %s failed", phase, getattr(step, "__name__", step), exc_info=True)


def _before_the_first_reader() -> list[Callable[[], object]]:
    """What this service's first request would otherwise do after a restore (module docstring)."""
    # The AWS clients are built again on first use, with this copy's credentials: building every one
    # here would cost each restore 17 ms (blog) to 43 ms (to-do) for requests that mostly need none
    # (benchmarks/cold_start.py); the to-do list's own client is built by _open_the_todo_table.
    steps: list[Callable[[], object]] = []
    if settings.SERVICE in ("blog", "all"):
        from myblog.blog.caching import current_freshness

        steps.append(functools.partial(current_freshness, reread=True))
    steps.append(_renew_signing_keys)
    # The reads the snapshot answered, once more: pages dropped because the blog changed while the
    # snapshot waited are rendered and kept again, and the memory their path runs through is this
    # copy's before its first reader touches it (a restored copy's pages load on first touch).
    steps.append(warm_up)
    if settings.SERVICE in ("todo", "all"):
        steps.append(_open_the_todo_table)
    return steps


def _renew_signing_keys() -> None:
    """The Cognito key set, fetched when older than its max age by the wall clock (todo/tokens.py)."""
    # Only where the service loaded it: importing todo.tokens here would cost a blog copy ~0.2 s.
    if tokens := sys.modules.get("todo.tokens"):
        tokens.signing_keys().renew_if_stale()


def _open_the_todo_table() -> None:
    """This copy's connection to the table (to DAX in production, whose client starts here) and the
    client's first-call work: one Query for an owner no user pool can issue (subs are UUIDs)."""
    from todo.repository import todo_repository

    todo_repository().page(owner=WARM_UP_OWNER, limit=1)


def register() -> None:
    """Register the hooks on Lambda; nothing anywhere else (tests call the hooks directly)."""
    if not os.environ.get("AWS_LAMBDA_FUNCTION_NAME"):
        return
    try:
        # The library ships no type information (no py.typed): its two functions are Any here.
        from snapshot_restore_py import register_after_restore, register_before_snapshot  # type: ignore[import-untyped]
    except ImportError:  # python3.11 runtime: no SnapStart, no library
        return
    register_before_snapshot(before_snapshot)
    register_after_restore(after_restore)


class SnapStartConfig(AppConfig):
    """Registers the hooks while Django starts, which is where Zappa's handler loads the app (it calls
    get_wsgi_application for ``django_settings``); last in INSTALLED_APPS, after every app is ready."""

    name = "myblog.snapstart"
    label = "snapstart"
    verbose_name = "SnapStart hooks"

    def ready(self) -> None:
        register()
