"""Paging: an opaque cursor in an RFC 8288 Link header, one DynamoDB request per page."""

import re
from urllib.parse import urlsplit

import pytest

from todo import repository, services

LINK = re.compile(r'^<(?P<url>[^>]+)>; rel="next"$')


def next_url(response) -> str | None:
    link = response.headers.get("Link")
    if link is None:
        return None
    match = LINK.match(link)
    assert match, link
    return match.group("url")


def follow_all(api, first: str) -> tuple[list[dict], int]:
    items, pages, url = [], 0, first
    while url:
        parts = urlsplit(url)
        response = api.get(parts.path + ("?" + parts.query if parts.query else ""))
        assert response.status_code == 200
        body = response.json()
        assert isinstance(body, list)
        items += body
        pages += 1
        url = next_url(response)
    return items, pages


@pytest.mark.slow
def test_paging_over_250_todos_returns_each_exactly_once_in_order(alice, alice_api, settings):
    settings.TODO_QUOTA = 1000
    created = [services.todo_create(owner=alice.sub, title=f"todo {i}", order=i % 7).id for i in range(250)]

    items, pages = follow_all(alice_api, "/api/todos/?limit=37")

    ids = [item["id"] for item in items]
    assert len(ids) == 250
    assert sorted(ids) == sorted(created)
    assert len(set(ids)) == 250
    assert [(item["order"], item["id"]) for item in items] == sorted((item["order"], item["id"]) for item in items)
    assert pages == 7  # ceil(250 / 37), and no empty trailing page


@pytest.mark.slow
def test_the_default_page_is_100_and_the_maximum_500(alice, alice_api, settings):
    for i in range(120):
        services.todo_create(owner=alice.sub, title=f"t{i}")

    first = alice_api.get("/api/todos/")
    everything = alice_api.get("/api/todos/?limit=500")

    assert len(first.json()) == 100
    assert next_url(first).startswith("http://testserver/api/todos/?limit=100&cursor=")
    assert len(everything.json()) == 120
    assert next_url(everything) is None


def test_a_page_that_ends_exactly_at_the_last_todo_has_no_next_link(alice, alice_api):
    for i in range(10):
        services.todo_create(owner=alice.sub, title=f"t{i}")

    response = alice_api.get("/api/todos/?limit=10")

    assert len(response.json()) == 10
    assert "Link" not in response.headers


def test_each_page_costs_exactly_one_dynamodb_request(alice, alice_api):
    for i in range(25):
        services.todo_create(owner=alice.sub, title=f"t{i}")
    client = repository.todo_repository().client
    sent: list[str] = []

    def record(request, **kwargs):
        sent.append(request.headers.get("X-Amz-Target", b"").decode())

    client.meta.events.register("before-send.dynamodb", record)
    try:
        per_page = []
        url = "/api/todos/?limit=10"
        while url:
            before = len(sent)
            response = alice_api.get(url)
            per_page.append(sent[before:])
            url = next_url(response)
            url = url and url.removeprefix("http://testserver")
    finally:
        client.meta.events.unregister("before-send.dynamodb", record)

    assert per_page == [["DynamoDB_20120810.Query"]] * 3


def test_a_cursor_cannot_be_tampered_with(alice, alice_api):
    for i in range(3):
        services.todo_create(owner=alice.sub, title=f"t{i}")
    url = next_url(alice_api.get("/api/todos/?limit=1"))
    tampered = url.replace("cursor=", "cursor=x")

    response = alice_api.get(tampered.removeprefix("http://testserver"))

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["cursor"]
