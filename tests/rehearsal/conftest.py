"""The rehearsal (`make rehearse`): one local AWS with IAM enforced and the two stages' packages
for the whole session; each test drives a flow through a stage's Lambda function."""

from collections.abc import Iterator

import pytest

from tests.rehearsal.harness import STAGES, LambdaFunction, Rehearsal


@pytest.fixture(autouse=True)
def _aws_only_where_marked() -> None:
    """Not the suite's shared moto server: the rehearsal has its own, with IAM enforced."""


@pytest.fixture(autouse=True)
def _test_settings() -> None:
    """Nothing runs in this process's Django: the stages run in their own processes."""


@pytest.fixture(scope="session")
def rehearsal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rehearsal]:
    started = Rehearsal.start(tmp_path_factory.mktemp("rehearsal"))
    yield started
    started.stop()


@pytest.fixture(scope="session")
def blog(rehearsal: Rehearsal) -> LambdaFunction:
    return rehearsal.function(STAGES["blog"])


@pytest.fixture(scope="session")
def todo(rehearsal: Rehearsal) -> LambdaFunction:
    return rehearsal.function(STAGES["todo"])


@pytest.fixture(autouse=True)
def _iam_was_enforced(request: pytest.FixtureRequest) -> Iterator[None]:
    """After each flow: moto still refuses the blog role's keys without their session token, so
    the flow ran under IAM enforcement (a passing flow on an open endpoint proves nothing)."""
    yield
    if request.node.get_closest_marker("rehearse") is None:
        return
    rehearsal: Rehearsal = request.getfixturevalue("rehearsal")
    assert rehearsal.iam_enforced(), "moto's IAM enforcement was off: the flow proves nothing"
