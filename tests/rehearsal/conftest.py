"""The rehearsal (`make rehearse`): one local AWS with IAM enforced and the two stages' packages
for the whole session; each test drives a flow through a stage's Lambda function."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.rehearsal.harness import STAGES, LambdaFunction, Rehearsal


@pytest.fixture(autouse=True)
def local_aws() -> None:
    """Not the suite's shared moto server: the rehearsal has its own, with IAM enforced."""


@pytest.fixture(autouse=True)
def _caching_settings() -> None:
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The rehearsal runs when asked for (`make rehearse`: pytest tests/rehearsal), not within
    `make test`'s whole-suite run, which it would lengthen by a minute."""
    here = Path(__file__).resolve().parent
    if any(Path(str(arg).split("::")[0]).resolve().is_relative_to(here) for arg in config.args):
        return
    ours = [item for item in items if item.path.is_relative_to(here)]
    if ours:
        config.hook.pytest_deselected(items=ours)
        items[:] = [item for item in items if not item.path.is_relative_to(here)]
