"""Optimistic concurrency under real contention: conditional writes on `version` in DynamoDB."""

import threading
from collections import Counter

import pytest

from tests.todo.conftest import ApiClient

WRITERS = 20


@pytest.mark.django_db(transaction=True)
def test_twenty_concurrent_patches_with_the_same_if_match_let_exactly_one_through(alice):
    setup = ApiClient(alice)
    created = setup.post("/api/todos/", {"title": "contended"})
    url, etag = f"/api/todos/{created.json()['id']}/", created.headers["ETag"]
    barrier = threading.Barrier(WRITERS)
    statuses: list[int] = []
    lock = threading.Lock()

    def writer(n: int) -> None:
        client = ApiClient(alice)  # one test client per thread, as one phone per request
        barrier.wait(timeout=30)
        response = client.patch(url, {"title": f"writer {n}"}, headers={"if-match": etag})
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert Counter(statuses) == {200: 1, 412: WRITERS - 1}
    final = setup.get(url).json()
    assert final["version"] == 2
    assert final["title"].startswith("writer ")
