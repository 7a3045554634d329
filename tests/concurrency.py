"""Running one call from several threads at the same moment, as concurrent Lambda invocations would."""

import threading
import time
from collections.abc import Callable

from django.db import OperationalError, connections


def at_once[T](call: Callable[[], T], *, times: int = 4, attempts: int = 50, timeout: float = 30) -> list[T]:
    """`call` from `times` threads released together; the results, in the order they finished.

    SQLite's shared in-memory test database fails a concurrent writer at once ("table is locked")
    where PostgreSQL makes it wait, so a call that meets that is made again, as a client posts
    again or Lambda retries a failed invocation. Any other error is raised here.
    """
    start = threading.Barrier(times)
    results: list[T] = []
    errors: list[Exception] = []

    def one() -> None:
        start.wait()
        try:
            for _ in range(attempts):
                try:
                    results.append(call())
                    return
                except OperationalError:
                    time.sleep(0.01)
        except Exception as exc:  # noqa: BLE001 - raised in the test's thread below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=one) for _ in range(times)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    if errors:
        raise errors[0]
    return results
