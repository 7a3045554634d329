"""Reads of public pages from a read replica (docs/architecture.md, decision 3), everything else from the primary.

With DATABASE_REPLICA_URL set (an Aurora reader, or the local cluster of an Aurora global
database in another region) settings add a "replica" database and this router. Only the public,
cached reads (``myblog.blog.caching.public_cache``) use it: they tolerate the replica's lag of a
second or so, since shared caches serve them for minutes anyway. The admin, the APIs that write,
sessions, async tasks and management commands read the primary, so nobody misses their own write.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db import connections

REPLICA = "replica"
_public_read: ContextVar[bool] = ContextVar("public_read", default=False)
# Sessions are read by the staff redirect of post pages: a fresh login may not have replicated.
_PRIMARY_ONLY_APPS = {"sessions"}


@contextmanager
def public_reads() -> Iterator[None]:
    """Within the block, reads may come from the replica (when there is one)."""
    token = _public_read.set(True)
    try:
        yield
    finally:
        _public_read.reset(token)


class PrimaryReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str:
        if _public_read.get() and model._meta.app_label not in _PRIMARY_ONLY_APPS and REPLICA in connections:
            return REPLICA
        return "default"

    def db_for_write(self, model: Any, **hints: Any) -> str:
        return "default"

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool:
        # The replica holds the same rows as the primary.
        return True

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool:
        return db == "default"
