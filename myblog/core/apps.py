from typing import Any

from django.apps import AppConfig
from django.conf import settings


def close_caches_after_requests_if_they_hold_connections(configured: dict[str, dict[str, Any]]) -> bool:
    """Whether Django's close_caches runs after each request: only when a configured backend's
    close() does something (memcached's drops its connections). Ours (local memory, the database
    table, whose connection Django closes with the database's) close nothing, and the receiver cost
    every request ~4 µs: a tenth of what a kept page costs (issue 14, benchmarks/read_throughput)."""
    from django.core.cache import close_caches
    from django.core.cache.backends.base import BaseCache
    from django.core.signals import request_finished
    from django.utils.module_loading import import_string

    needed = any(import_string(cache["BACKEND"]).close is not BaseCache.close for cache in configured.values())
    if needed:
        request_finished.connect(close_caches)
    else:
        request_finished.disconnect(close_caches)
    return needed


class CoreConfig(AppConfig):
    """Code every app shares; an app only so that its system checks and tracing start with Django."""

    name = "myblog.core"
    label = "core"
    verbose_name = "Shared core"

    def ready(self) -> None:
        from myblog.core import checks  # noqa: F401  (registers the system checks)
        from myblog.core.observability import tracing_setup

        tracing_setup()  # imports nothing when tracing is off
        close_caches_after_requests_if_they_hold_connections(settings.CACHES)
