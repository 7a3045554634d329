"""The operator's commands of infra/ when AWS cannot be reached or refuses: a message, never a traceback.

These tests have no ``aws`` marker, so every AWS call goes to a closed port (tests/conftest.py),
as when the local endpoint is not running or the network is down.
"""

from collections.abc import Callable
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, NoCredentialsError, ParamValidationError

from infra import apigw_cache, publish_app, remote_env, stacks, stage_env
from infra.cli import aws_failures_reported

Main = Callable[[list[str]], int]


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "index.html").write_text("<!doctype html>")
    return tmp_path


@pytest.mark.parametrize(
    ("main", "argv"),
    [
        (publish_app.main, ["todo_dev", "--dist", "{build}"]),
        (remote_env.main, ["set", "blog_dev", "DEBUG=0"]),
        (remote_env.main, ["run", "blog_dev", "--", "true"]),
        (stage_env.main, ["check", "blog_dev", "--remote"]),
        (stage_env.main, ["write", "blog_dev"]),
        (apigw_cache.main, ["blog_dev"]),
        (apigw_cache.main, ["blog_dev", "--flush"]),
        (stacks.main, ["deploy", "storage", "--env", "dev"]),
        (stacks.main, ["outputs", "storage", "--env", "dev"]),
        (stacks.main, ["api-origin", "blog_dev"]),
        (stacks.main, ["database-url", "--env", "dev"]),
    ],
    ids=lambda value: " ".join(value) if isinstance(value, list) else value.__module__,
)
def test_with_the_endpoint_down_each_command_says_where_it_could_not_connect_and_what_to_do(
    main: Main, argv: list[str], build: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit:
        main([arg.format(build=build) for arg in argv])

    message = str(exit.value.code)
    assert exit.value.code not in (0, None)
    assert 'Could not connect to the endpoint URL: "http://127.0.0.1:9/' in message
    assert "AWS_ENDPOINT_URL is http://127.0.0.1:9" in message and "make run" in message


def test_missing_credentials_are_named_with_the_variables_that_give_them() -> None:
    with pytest.raises(SystemExit, match="set AWS_PROFILE"), aws_failures_reported():
        raise NoCredentialsError()


def test_a_refusal_from_aws_keeps_its_code_and_message() -> None:
    refusal = ClientError({"Error": {"Code": "AccessDenied", "Message": "not for you"}}, "PutObject")

    with pytest.raises(SystemExit, match=r"error: .*\(AccessDenied\).*PutObject.*not for you"), aws_failures_reported():
        raise refusal


def test_a_value_botocore_refuses_before_sending_is_reported_not_raised() -> None:
    with pytest.raises(SystemExit, match="Invalid length"), aws_failures_reported():
        raise ParamValidationError(report="Invalid length for parameter Tags[1].Value")
