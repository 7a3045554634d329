from collections import Counter
from collections.abc import Iterator

import pytest

# The to-do tests' Cognito users, for the flows the mobile app and the todo API run.
from tests.todo.conftest import _fresh_cognito_lookups, alice, bob, idp, make_user  # noqa: F401

from . import recorder
from .evaluation import Denial, evaluate


def _capture(*, isolated: bool) -> Iterator[recorder.Recording]:
    capture = recorder.Recording({}, {}, Counter(), isolated=isolated)
    recorder.captures.append(capture)
    yield capture
    recorder.captures.remove(capture)


@pytest.fixture
def iam_calls() -> Iterator[recorder.Recording]:
    """The calls this test makes (the session's recording gets them too)."""
    yield from _capture(isolated=False)


@pytest.fixture
def iam_calls_denied_on_purpose() -> Iterator[recorder.Recording]:
    """The calls of a test that makes denied calls on purpose, kept from the session's recording."""
    yield from _capture(isolated=True)


def denials(capture: recorder.Recording) -> list[Denial]:
    assert capture.checks, "the flow made no production AWS call"
    assert not capture.unmapped, f"operations without an IAM mapping: {sorted(capture.unmapped)}"
    return evaluate(capture)[1]


def described(found: list[Denial]) -> str:
    return "\n".join(denial.describe() for denial in found)
