"""pytest plugin (tests/conftest.py loads it): record every AWS call of the session and, at its
end, evaluate each production call against its production role with an IAM simulator that
evaluates conditions (docs/architecture.md, decision 12). A call the role would deny fails the run, with the
call, where it was made and the statement that is missing; test-artifacts/iam-calls.json keeps
every evaluated call.

The evaluation runs in pytest_sessionfinish, once per process, so it covers whatever the session
ran (`make test`: everything; a single file: that file's calls). The suite does not use
pytest-xdist; with it, each worker would evaluate its own calls, and a denial would only show
in that worker's output.
"""

import json
import time
from pathlib import Path

import pytest

from . import recorder
from .evaluation import Denial, evaluate
from .simulator import SimulatorMissing

ARTIFACT = Path(recorder.REPO) / "test-artifacts" / "iam-calls.json"
_outcome: dict[str, object] = {}


def pytest_configure(config: pytest.Config) -> None:
    recorder.install()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> object:
    recorder.current_test = item.nodeid
    try:
        return (yield)
    finally:
        recorder.current_test = "(outside any test)"


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    recording = recorder.recording
    if not recording.checks and not recording.unmapped:
        return
    started = time.monotonic()
    try:
        results, denials = evaluate(recording)
    except SimulatorMissing as exc:
        _outcome["problems"] = [str(exc)]
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        return
    problems = [denial.describe() for denial in denials] + [
        f"{service} {operation} (first at {example.where} in {example.test}): "
        "which IAM action does it need? Add it to tests/iam/actions.py."
        for (service, operation), example in recording.unmapped.items()
    ]
    _outcome.update(
        problems=problems,
        evaluated=len(results),
        seconds=time.monotonic() - started,
        excluded=sum(recording.excluded.values()),
    )
    _write_artifact(results, denials, recording)
    if problems:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _write_artifact(results: list, denials: list[Denial], recording: recorder.Recording) -> None:
    ARTIFACT.parent.mkdir(exist_ok=True)
    document = {
        "evaluated": [
            {
                "role": role,
                "action": request.action,
                "resource": request.resource,
                "context": dict(request.context),
                "result": verdict.result,
                "allowed_by": verdict.allowed_by,
                "call": f"{example.service} {example.operation}",
                "where": example.where,
                "test": example.test,
            }
            for role, request, example, verdict in results
        ],
        "not_production": [
            {"why": why, "call": call, "count": count} for (why, call), count in sorted(recording.excluded.items())
        ],
    }
    ARTIFACT.write_text(json.dumps(document, indent=1))


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not _outcome:
        return
    problems = _outcome.get("problems", [])
    title = "IAM: recorded AWS calls against their production roles"
    if problems:
        terminalreporter.section(title, red=True)
        terminalreporter.write_line(f"{len(problems)} call(s) would be denied on AWS (moto ignores IAM conditions):")
        for problem in problems:
            terminalreporter.write_line(str(problem))
    else:
        terminalreporter.section(title, green=True)
    if "evaluated" in _outcome:
        terminalreporter.write_line(
            f"{_outcome['evaluated']} distinct IAM requests evaluated in {_outcome['seconds']:.1f} s; "
            f"{_outcome['excluded']} calls of tests and local setup not evaluated; details in {ARTIFACT}"
        )
