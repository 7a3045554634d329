"""The rehearsal's ground rules hold, so that a passing flow means something: moto enforces IAM
(session token, action, resource) for the stages' credentials, and a function's code cannot write
outside its temporary directory."""

import json
from urllib.parse import urlsplit

import pytest
from botocore.exceptions import ClientError

from tests.rehearsal.harness import STAGES, LambdaFunction, Rehearsal

# Slow (one local AWS and two packaged functions per session): `make rehearse`, not `make test`.
pytestmark = pytest.mark.rehearse


def remote_env_location(rehearsal: Rehearsal, stage: str) -> tuple[str, str]:
    location = urlsplit(rehearsal.stage_configs[stage]["remote_env"])
    return location.netloc, location.path.lstrip("/")


def test_the_blog_role_reads_its_remote_environment_with_its_session_token(rehearsal: Rehearsal) -> None:
    bucket, key = remote_env_location(rehearsal, STAGES["blog"])
    s3 = rehearsal.aws.client("s3", rehearsal.credentials[STAGES["blog"]])

    assert "SECRET_KEY" in json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def test_the_same_call_without_the_session_token_is_refused(rehearsal: Rehearsal) -> None:
    bucket, key = remote_env_location(rehearsal, STAGES["blog"])
    credentials = dict(rehearsal.credentials[STAGES["blog"]])
    del credentials["AWS_SESSION_TOKEN"]

    with pytest.raises(ClientError) as refused:
        rehearsal.aws.client("s3", credentials).get_object(Bucket=bucket, Key=key)
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_a_role_is_refused_what_its_policy_does_not_allow(rehearsal: Rehearsal) -> None:
    bucket, key = remote_env_location(rehearsal, STAGES["blog"])
    todo_s3 = rehearsal.aws.client("s3", rehearsal.credentials[STAGES["todo"]])
    todo_dynamodb = rehearsal.aws.client("dynamodb", rehearsal.credentials[STAGES["todo"]])

    with pytest.raises(ClientError) as refused:
        todo_s3.get_object(Bucket=bucket, Key=key)
    assert refused.value.response["Error"]["Code"] == "AccessDenied"
    # DynamoDB on a table of its own policy's name, but an action it is not given.
    with pytest.raises(ClientError) as refused:
        todo_dynamodb.delete_table(TableName="myblog-dev-todos")
    # moto answers in XML where DynamoDB speaks JSON, so botocore sees only the status.
    assert refused.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    table = rehearsal.aws.client("dynamodb").describe_table(TableName="myblog-dev-todos")
    assert table["Table"]["TableStatus"] == "ACTIVE"


@pytest.mark.parametrize("service", ["blog", "todo"])
def test_the_function_writes_only_to_its_temporary_directory(
    service: str, rehearsal: Rehearsal, blog: LambdaFunction, todo: LambdaFunction
) -> None:
    function = {"blog": blog, "todo": todo}[service]
    # Zappa's handler runs a `raw_command` event as Python: it tries a write to the task root and
    # one to the temporary directory, and reports both in the temporary directory.
    probe = (
        "import json, os, tempfile\n"
        "def attempt(folder):\n"
        "    try:\n"
        "        with open(os.path.join(folder, 'rehearsal-probe'), 'w') as f: f.write('x')\n"
        "        return 'written'\n"
        "    except OSError as e: return type(e).__name__ + ': ' + str(e.errno)\n"
        "result = {'task_root': attempt(os.environ['LAMBDA_TASK_ROOT']), 'cwd': attempt(os.getcwd()),\n"
        "          'tmp': attempt(tempfile.gettempdir())}\n"
        "open(os.path.join(tempfile.gettempdir(), 'probe.json'), 'w').write(json.dumps(result))\n"
    )

    function.invoke({"raw_command": probe})

    result = json.loads((function.tmp / "probe.json").read_text())
    assert result == {"task_root": "OSError: 30", "cwd": "OSError: 30", "tmp": "written"}  # 30: EROFS
    assert not (function.task_root / "rehearsal-probe").exists()
