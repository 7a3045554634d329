"""Fault injection for the fault tests.

Two ways to make AWS fail, both without touching product code:

- ``faults``: chosen calls of one operation are answered with a service error (throttling, an
  internal error, a cancelled transaction) by a ``before-call`` handler, the hook botocore's own
  Stubber uses; the other calls go on to the local endpoint. Or the call "kills the process":
  it raises ``ProcessKilled``, which no ``except Exception`` catches, so nothing after that line
  runs, as when Lambda times out or runs out of memory.
- ``LocalEndpoint``: a second moto server that a test can stop and start again on the same port,
  a real outage of the endpoint the code talks to.
"""

import threading
from collections.abc import Callable, Container, Iterator
from typing import Any

import pytest
import requests
from botocore.awsrequest import AWSResponse

from infra.local_endpoint import ThreadedEndpoint

# The to-do API's Cognito users and clients (real users on the local endpoint).
from tests.todo.conftest import _fresh_cognito_lookups, alice, idp, make_user  # noqa: F401


class ProcessKilled(BaseException):  # noqa: N818 - it is an event, not an error the code may handle
    """The process running the task dies here: no handler, no ``finally`` of ours matters."""


class Faults:
    """Injected failures of chosen calls, removed again when the test ends."""

    def __init__(self) -> None:
        self._registered: list[tuple[Any, str, str]] = []
        self._lock = threading.Lock()

    def add(self, events: Any, service: str, operation: str, **fault: Any) -> list[int]:
        """Fail chosen calls of ``operation`` on ``events`` (a client's ``meta.events`` or a boto3
        session's ``events``); see ``handler`` for the choices. Returns the numbers of the calls
        seen so far, for assertions."""
        seen, before_call = self.handler(service, operation, **fault)
        self.register(events, service, operation, before_call)
        return seen

    def handler(
        self,
        service: str,
        operation: str,
        *,
        calls: Container[int] | None = None,
        code: str = "InternalFailure",
        status: int = 500,
        fields: dict[str, Any] | None = None,
        kill: bool = False,
        action: Callable[[], None] | None = None,
    ) -> tuple[list[int], Callable[..., Any]]:
        """A ``before-call`` handler that fails the ``calls`` (1-based; None: every call) with the
        service error ``code``, or kills the process there, or runs ``action`` and then lets the
        call go on to the endpoint (e.g. the action stops the endpoint first)."""
        seen: list[int] = []

        def before_call(**kwargs: Any) -> tuple[AWSResponse, dict[str, Any]] | None:
            with self._lock:
                seen.append(len(seen) + 1)
                number = seen[-1]
            if calls is not None and number not in calls:
                return None
            if kill:
                raise ProcessKilled(f"{service} {operation} call {number}")
            if action is not None:
                action()
                return None
            parsed = {
                "Error": {"Code": code, "Message": f"Injected {code} on {operation} call {number}"},
                "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}},
                **(fields or {}),
            }
            return AWSResponse("https://injected.invalid/", status, {}, None), parsed

        return seen, before_call

    def register(self, events: Any, service: str, operation: str, before_call: Callable[..., Any]) -> None:
        event = f"before-call.{service}.{operation}"
        unique_id = f"faults-{id(before_call)}"
        events.register(event, before_call, unique_id=unique_id)
        self._registered.append((events, event, unique_id))

    def remove_all(self) -> None:
        for events, event, unique_id in self._registered:
            events.unregister(event, unique_id=unique_id)
        self._registered.clear()


@pytest.fixture
def faults() -> Iterator[Faults]:
    injected = Faults()
    yield injected
    injected.remove_all()  # shared clients outlive the test


class LocalEndpoint:
    """A second moto server in this process, on its own port.

    moto keeps its state per process, so this server serves the same tables, buckets and pools as
    the session's: stopping it makes the endpoint unreachable without losing data (as a DynamoDB
    outage does), and ``start()`` brings it back on the same port.
    """

    def __init__(self) -> None:
        self.port = 0
        self._server: ThreadedEndpoint | None = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        assert self._server is None, "already running"
        self._server = ThreadedEndpoint(port=self.port)
        self.port = self._server.port

    def stop(self) -> None:
        assert self._server is not None, "not running"
        self._server.stop()
        self._server = None

    @property
    def running(self) -> bool:
        return self._server is not None


@pytest.fixture
def sent_emails(local_aws: str) -> Callable[[], list[str]]:
    """The raw messages the local SES accepted, oldest first."""

    def read() -> list[str]:
        data = requests.get(f"{local_aws}/moto-api/data.json", timeout=5).json()
        return [message["raw_data"] for message in data["ses"]["RawMessage"]]

    return read
