"""The deploy, rehearsed offline: stacks on the local endpoint where moto supports their resource
types, and Zappa's own template and package for the stages, with no AWS account."""

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import boto3
import pytest

from infra.templates import INFRA_DIR

ROOT = Path(__file__).resolve().parents[2]
STAGES = list(json.loads((ROOT / "zappa_settings.json").read_text()))
# moto's CloudFormation creates every resource of these; the others hold types it skips
# (Cognito, DAX, CloudFront, SES, global tables, RDS global clusters), which infra.bootstrap
# creates through the service APIs instead where the local product needs them.
DEPLOYABLE = ["storage", "network", "roles"]
# Every test runs `zappa` or deploys stacks: seconds each.
pytestmark = pytest.mark.slow


def zappa(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "VIRTUAL_ENV": sys.prefix, "AWS_DEFAULT_REGION": "us-east-1"}
    env |= {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    command = [str(Path(sys.executable).parent / "zappa"), *args]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("template", DEPLOYABLE)
def test_the_stack_deploys_on_the_local_endpoint(template, local_aws) -> None:
    cloudformation = boto3.client("cloudformation", endpoint_url=local_aws, region_name="us-east-1")
    name = f"myblog-rehearsal-{template}"

    cloudformation.create_stack(
        StackName=name,
        TemplateBody=(INFRA_DIR / f"{template}.yaml").read_text(),
        Parameters=[{"ParameterKey": "Env", "ParameterValue": "rehearsal"}],
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )

    stack = cloudformation.describe_stacks(StackName=name)["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs", [])}
    if template == "storage":
        assert outputs["MediaBucketName"] == "myblog-rehearsal-media"
    if template == "network":
        ec2 = boto3.client("ec2", endpoint_url=local_aws, region_name="us-east-1")
        endpoints = ec2.describe_vpc_endpoints(Filters=[{"Name": "vpc-id", "Values": [outputs["VpcId"]]}])
        services = {e["ServiceName"].rsplit(".", 1)[-1] for e in endpoints["VpcEndpoints"]}
        assert {"s3", "dynamodb"} <= services
        assert len(outputs["PrivateSubnetIds"].split(",")) == 3
    if template == "roles":
        iam = boto3.client("iam", endpoint_url=local_aws, region_name="us-east-1")
        assert iam.get_role(RoleName="myblog-rehearsal-blog-lambda")["Role"]["Arn"] == outputs["BlogRoleArn"]
        assert iam.list_role_policies(RoleName="myblog-rehearsal-todo-lambda")["PolicyNames"] == ["todo"]


@pytest.mark.parametrize("stage", STAGES)
def test_zappa_builds_the_api_template_of_every_stage_offline(stage, tmp_path) -> None:
    output = tmp_path / "template.json"
    result = zappa("template", stage, "-l", f"arn:aws:lambda:us-east-1:123456789012:function:myblog-{stage}",
                   "-r", "arn:aws:iam::123456789012:role/rehearsal", "--output", str(output))  # fmt: skip
    assert result.returncode == 0, result.stderr

    resources = json.loads(output.read_text())["Resources"]
    kinds = {resource["Type"] for resource in resources.values()}
    assert {"AWS::ApiGateway::RestApi", "AWS::ApiGateway::Method"} <= kinds
    if stage.startswith("todo_"):
        authorizers = [r["Properties"] for r in resources.values() if r["Type"] == "AWS::ApiGateway::Authorizer"]
        assert [a["Type"] for a in authorizers] == ["COGNITO_USER_POOLS"]
        # Preflights carry no token: their OPTIONS methods are not behind the authorizer.
        options = [r["Properties"] for r in resources.values() if r["Properties"].get("HttpMethod") == "OPTIONS"]
        assert options and all(o["AuthorizationType"] == "NONE" for o in options)


def test_zappa_packages_a_stage_offline(tmp_path) -> None:
    output = tmp_path / "blog_dev.zip"
    # Zappa would look up a manylinux wheel of every compiled package in the index (1.5 s each
    # when it does not answer); the deployable zips come from infra.packaging, which does that.
    stages = json.loads((ROOT / "zappa_settings.json").read_text())
    stages["blog_dev"]["use_precompiled_packages"] = False
    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps(stages))

    result = zappa("package", "blog_dev", "-s", str(settings_file), "-o", str(output))

    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(output) as archive:
        names = set(archive.namelist())
    assert {"handler.py", "zappa_settings.py", "myblog/settings.py", "todo/api.py"} <= names
    assert not any(name.startswith(("tests/", "infra/")) for name in names)
