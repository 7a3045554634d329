"""Django closes every cache after each request (request_finished → close_caches); where no
configured cache holds a connection that costs every request time and closes nothing (issue 14:
cached public reads answer in a few tens of microseconds)."""

from typing import Any

import pytest
from django.core.cache import caches
from django.test import Client

from myblog.core.apps import close_caches_after_requests_if_they_hold_connections


@pytest.fixture
def closings(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    closed: list[int] = []
    monkeypatch.setattr(caches, "close_all", lambda **kwargs: closed.append(1))
    return closed


@pytest.mark.django_db
def test_no_request_closes_caches_when_none_of_the_configured_ones_holds_a_connection(closings: list[int]) -> None:
    Client().get("/api/no-such-thing/")

    assert closings == []


@pytest.mark.django_db
def test_a_cache_that_holds_connections_is_still_closed_after_every_request(closings: list[int], settings: Any) -> None:
    memcached = {"BACKEND": "django.core.cache.backends.memcached.PyMemcacheCache", "LOCATION": "127.0.0.1:9"}
    try:
        assert close_caches_after_requests_if_they_hold_connections({**settings.CACHES, "sessions": memcached})
        Client().get("/api/no-such-thing/")
    finally:
        close_caches_after_requests_if_they_hold_connections(settings.CACHES)

    assert closings == [1]
