"""Every principal that uses a stage's role or invokes its function is allowed to, by AWS's rules.

moto checks no trust policy and no resource policy, so these read what Zappa 0.63 itself builds
for each stage (its API Gateway template, its deploy-time permissions) against infra/roles.yaml
deployed with the parameters of README "The sequence":

- Lambda runs the function with the stage's role: the role trusts lambda.amazonaws.com.
- API Gateway: Zappa puts the stage's role_arn on every integration as Credentials; API Gateway
  assumes it (trust: apigateway.amazonaws.com) and calls lambda:InvokeFunction on the function of
  the integration's URI with it (the role's policy).
- Async tasks (async_source lambda): the function invokes itself with its role; failed ones go to
  the dead-letter queue, also with the role.
- S3 events (photos) and the keep-warm rule: Zappa adds a resource-based permission for the
  service principal, limited to the bucket or the rule and the account (lambda add_permission).
- A function in a VPC: Lambda creates its network interfaces with the role.
"""

import fnmatch
import io
import json
import re
import zipfile
from pathlib import Path
from typing import Any

import boto3
import pytest
from zappa.cli import ZappaCLI

from infra import zappa_stages
from infra.templates import load
from infra.zappa_stages import stage_config
from tests.infra.test_deploy_sequence import stack_parameters

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "123456789012"
REGION = "us-east-1"
STAGES = list(zappa_stages.read())
INVOCATION_URI = re.compile(
    r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/2015-03-31/functions/(?P<function>.+)/invocations$"
)
VPC_ACCESS = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"


def role_of(stage: str) -> dict[str, Any]:
    service, env = stage.split("_", 1)
    roles = load("roles.yaml", **stack_parameters("roles", env))
    return roles.properties(f"{service.title()}Role")


def role_arn(role: dict[str, Any]) -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{role['RoleName']}"


def trusts(role: dict[str, Any], service: str) -> bool:
    for statement in role["AssumeRolePolicyDocument"]["Statement"]:
        principals = statement.get("Principal", {}).get("Service", [])
        principals = [principals] if isinstance(principals, str) else principals
        if statement["Effect"] == "Allow" and statement["Action"] == "sts:AssumeRole" and service in principals:
            return True
    return False


def allows(role: dict[str, Any], action: str, resource: str) -> bool:
    """An Allow statement without conditions of the role's inline policies matches (no Deny exists)."""
    for policy in role["Policies"]:
        for statement in policy["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            resources = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            if (
                statement["Effect"] == "Allow"
                and "Condition" not in statement
                and any(fnmatch.fnmatchcase(action.lower(), pattern.lower()) for pattern in actions)
                and any(fnmatch.fnmatchcase(resource, pattern) for pattern in resources)
            ):
                return True
    return False


def zappa_cli(stage: str, tmp_path: Path) -> ZappaCLI:
    """Zappa's CLI for the stage, with role_arn as `stage_env write` sets it from roles.yaml."""
    settings = zappa_stages.read()
    settings[stage]["role_arn"] = role_arn(role_of(stage))
    if "authorizer" in stage_config(stage):
        provider = f"arn:aws:cognito-idp:{REGION}:{ACCOUNT}:userpool/{REGION}_pool"
        settings[stage]["authorizer"] = {"type": "COGNITO_USER_POOLS", "provider_arns": [provider]}
    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps(settings))
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(settings_file))
    return cli


def api_template(cli: ZappaCLI) -> dict[str, Any]:
    """The API Gateway template `zappa deploy` creates for the stage (as `zappa template` prints it)."""
    function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{cli.lambda_name}"
    template = cli.zappa.create_stack_template(
        lambda_arn=function_arn,
        lambda_name=cli.lambda_name,
        api_key_required=cli.api_key_required,
        iam_authorization=cli.iam_authorization,
        authorizer=cli.authorizer,
        cors_options=cli.cors,
        description=cli.apigateway_description,
        endpoint_configuration=cli.endpoint_configuration,
        apigateway_version=cli.apigateway_version,
        stage_name=cli.api_stage,
        lambda_qualifier=cli.apigateway_lambda_qualifier,
    )
    return json.loads(template.to_json())


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_lambda_may_run_the_function_with_the_stage_role(stage, tmp_path) -> None:
    cli = zappa_cli(stage, tmp_path)
    role = role_of(stage)

    assert cli.zappa.credentials_arn == role_arn(role)
    assert trusts(role, "lambda.amazonaws.com")


@pytest.mark.parametrize("stage", STAGES)
def test_eventbridge_may_assume_the_role_zappa_gives_each_scheduled_rule(stage, tmp_path) -> None:
    """Zappa's schedule_events calls PutRule with RoleArn=credentials_arn (the stage's role), and
    EventBridge refuses a role it cannot assume ("cannot be assumed by principal
    'events.amazonaws.com'"), so `zappa deploy` would stop at "Scheduling.."; moto checks nothing."""
    cli = zappa_cli(stage, tmp_path)
    scheduled = [event for event in cli.stage_config.get("events", []) if "expression" in event]
    if cli.stage_config.get("keep_warm", True):
        scheduled.append({"name": "keep_warm"})
    role = role_of(stage)

    assert trusts(role, "events.amazonaws.com") == bool(scheduled), [
        event.get("name", event.get("function")) for event in scheduled
    ]


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_api_gateway_may_assume_each_integrations_role_and_invoke_the_function_zappa_names(stage, tmp_path) -> None:
    cli = zappa_cli(stage, tmp_path)
    role = role_of(stage)
    resources = api_template(cli)["Resources"].values()
    integrations = [
        r["Properties"]["Integration"]
        for r in resources
        if r["Type"] == "AWS::ApiGateway::Method" and r["Properties"]["Integration"]["Type"] == "AWS_PROXY"
    ]

    assert integrations
    for integration in integrations:
        assert integration["Credentials"] == role_arn(role)
        function = INVOCATION_URI.match(integration["Uri"]).group("function")
        # SnapStart stages: the `snapstart` alias (apigateway_lambda_qualifier), whose ARN IAM matches
        # as a resource of its own: a policy naming only the function does not cover it.
        qualifier = f":{cli.apigateway_lambda_qualifier}" if cli.apigateway_lambda_qualifier else ""
        assert function == f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{cli.lambda_name}{qualifier}"
        assert trusts(role, "apigateway.amazonaws.com"), f"API Gateway cannot assume {role['RoleName']}"
        assert allows(role, "lambda:InvokeFunction", function), f"{role['RoleName']} may not invoke {function}"
    # A Cognito authorizer needs no role; one that had credentials would need the same trust.
    for authorizer in (r["Properties"] for r in resources if r["Type"] == "AWS::ApiGateway::Authorizer"):
        assert "AuthorizerCredentials" not in authorizer or trusts(role, "apigateway.amazonaws.com")


@pytest.mark.slow
@pytest.mark.parametrize("stage", [s for s in STAGES if s.startswith("blog_")])
def test_the_function_may_invoke_itself_for_async_tasks_and_dead_letter_them(stage, tmp_path) -> None:
    cli = zappa_cli(stage, tmp_path)
    role = role_of(stage)
    env = stage.split("_", 1)[1]
    dead_letters = load("notifications.yaml", Env=env).physical_name("TaskDeadLetterQueue")

    assert cli.stage_config["async_source"] == "lambda"
    # zappa.asynchronous invokes AWS_LAMBDA_FUNCTION_NAME, the function's own name.
    assert allows(role, "lambda:InvokeFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{cli.lambda_name}")
    assert allows(role, "sqs:SendMessage", f"arn:aws:sqs:{REGION}:{ACCOUNT}:{dead_letters}")


@pytest.mark.parametrize("stage", [stage for stage in STAGES if stage_config(stage).get("vpc_config")])
def test_lambda_may_create_the_network_interfaces_of_a_function_in_a_vpc(stage) -> None:
    assert VPC_ACCESS in role_of(stage).get("ManagedPolicyArns", [])


def _function(cli: ZappaCLI, local_aws: str, role: dict[str, Any]) -> str:
    """The stage's role and function on the local endpoint, as the stacks and `zappa deploy` make them."""
    iam = boto3.client("iam", endpoint_url=local_aws, region_name=REGION)
    iam.create_role(RoleName=role["RoleName"], AssumeRolePolicyDocument=json.dumps(role["AssumeRolePolicyDocument"]))
    code = io.BytesIO()
    with zipfile.ZipFile(code, "w") as archive:
        archive.writestr("handler.py", "def lambda_handler(event, context):\n    return {}\n")
    functions = boto3.client("lambda", endpoint_url=local_aws, region_name=REGION)
    created = functions.create_function(
        FunctionName=cli.lambda_name,
        Runtime="python3.13",
        Role=role_arn(role),
        Handler="handler.lambda_handler",
        Code={"ZipFile": code.getvalue()},
    )
    return created["FunctionArn"]


@pytest.mark.slow
@pytest.mark.parametrize("stage", STAGES)
def test_the_events_zappa_schedules_may_invoke_the_function_from_the_stacks_bucket_and_rule_only(
    stage, tmp_path, local_aws
) -> None:
    env = stage.split("_", 1)[1]
    media = load("storage.yaml", Env=env).physical_name("MediaBucket")
    boto3.client("s3", endpoint_url=local_aws, region_name=REGION).create_bucket(Bucket=media)
    cli = zappa_cli(stage, tmp_path)
    function_arn = _function(cli, local_aws, role_of(stage))

    # The newsletter's queue as `stage_env write` fills it; an SQS event source needs no permission
    # (Lambda polls the queue with the function's role: tests/newsletter/test_iam.py).
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:myblog-{env}-newsletter"
    for event in cli.stage_config.get("events", []):
        if event.get("event_source", {}).get("arn") == "FROM_STACK":
            event["event_source"]["arn"] = queue
    sources = [  # schedule() adds keep-warm
        event["event_source"]
        for event in cli.stage_config.get("events", [])
        if event.get("event_source", {}).get("arn", "").startswith("arn:aws:s3:::")
    ]
    schedules = [event for event in cli.stage_config.get("events", []) if "expression" in event]
    asked: list[dict[str, Any]] = []  # the AddPermission requests, as Zappa sends them to AWS
    cli.zappa.lambda_client.meta.events.register(
        "provide-client-params.lambda.AddPermission", lambda params, **kwargs: asked.append(dict(params))
    )

    cli.schedule()  # what `zappa deploy` runs after creating the function

    granted = {(p["Principal"], p["SourceArn"]): p for p in asked}
    for permission in granted.values():
        assert permission["Action"] == "lambda:InvokeFunction"
        assert permission["FunctionName"] in (cli.lambda_name, function_arn)
        # Bucket names are global: without the account, a bucket of the same name elsewhere could call.
        assert permission["SourceAccount"] == ACCOUNT
    expected = set()
    for source in sources:
        # The bucket whose uploads the stage handles is the one storage.yaml makes for its env.
        assert source["arn"] == f"arn:aws:s3:::{media}"
        expected.add(("s3.amazonaws.com", f"arn:aws:s3:::{media}"))
    if schedules:  # the newsletter's sweep: EventBridge may invoke the function for its rule only
        events = boto3.client("events", endpoint_url=local_aws, region_name=REGION)
        for name in events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"]:
            expected.add(("events.amazonaws.com", events.describe_rule(Name=name)["Arn"]))
        assert len(expected) == len(sources) + len(schedules)
    if cli.stage_config.get("keep_warm"):
        events = boto3.client("events", endpoint_url=local_aws, region_name=REGION)
        rules = [
            events.describe_rule(Name=name)
            for name in events.list_rule_names_by_target(TargetArn=function_arn)["RuleNames"]
        ]
        assert [rule["ScheduleExpression"] for rule in rules] == ["rate(4 minutes)"]
        expected.add(("events.amazonaws.com", rules[0]["Arn"]))
    assert set(granted) == expected
    # No stage keeps warm: production's SnapStart would make the rule warm $LATEST, not the alias
    # (tests/infra/test_lambda_runtime.py); dev saves the pings.
    assert not cli.stage_config.get("keep_warm")
