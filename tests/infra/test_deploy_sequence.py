"""The README's deploy sequence ("Deploying to AWS" → "The sequence"), run as written.

The fast tests read the two shell blocks of that section and check the project commands they use;
the rehearsal (marked ``rehearse``: ``make rehearse``) runs the blocks with bash, in a copy of the
project, against the in-process moto server: the stacks, the settings from their outputs, the
remote_env files, collectstatic, ``make package``, ``zappa deploy --zip`` of both stages with the
post-deploy cache step, and the CDN's origin, then checks what AWS would hold. Lines the README
marks ``# real AWS only`` are left out, and Zappa's touch of the new URL (a GET over the internet)
is recorded instead of sent. moto's CloudFormation gaps are filled in tests/infra/moto_cloudformation.py.
"""

import json
import os
import re
import shutil
import subprocess
import sys
import time
import types
from pathlib import Path

import boto3
import pytest

from infra import remote_env, stacks
from infra.templates import INFRA_DIR
from infra.zappa_stages import stage_config
from tests.infra import moto_cloudformation
from tests.infra.test_publish_app import record_invalidations

ROOT = Path(__file__).resolve().parents[2]
VENV = Path(sys.prefix)
AWS_ONLY = "# real AWS only"
SECTION = re.compile(r"^### The sequence\n(.*?)^### ", re.S | re.M)
SHELL_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.S | re.M)
ASSIGNED = re.compile(r"^(?:export )?([A-Z_]+)=", re.M)
USED = re.compile(r"\$\{?([A-Z_]+)\}?")
ASSIGNED_VALUE = re.compile(r"^(?:export )?([A-Z_]+)=(\S*)", re.M)
# What the rehearsal fills in for each environment, on top of the README's examples.
ENVIRONMENTS = {"dev": {"E": "dev", "DAX": "false"}, "production": {"E": "production", "DAX": "true"}}


def readme_blocks() -> tuple[str, str, str]:
    """The placeholder, command and update blocks of README "The sequence"."""
    section = SECTION.search((ROOT / "README.md").read_text())
    assert section, "README.md has no '### The sequence' section"
    blocks = SHELL_BLOCK.findall(section.group(1))
    assert len(blocks) == 3, "The sequence: ```sh blocks of placeholders, of commands, of the update"
    return blocks[0], blocks[1], blocks[2]


def filled(text: str, env: str) -> str:
    """Text of the sequence with the placeholders' values for this environment."""
    values = dict(ASSIGNED_VALUE.findall(readme_blocks()[0])) | ENVIRONMENTS[env]
    return USED.sub(lambda match: values.get(match.group(1), match.group(0)), text)


def stack_parameters(template: str, env: str) -> dict[str, str]:
    """The parameters the README's `infra.stacks deploy TEMPLATE` line gives for this environment,
    placeholders filled (values the sequence computes, such as $VPC, stay as written)."""
    _, sequence, _ = readme_blocks()
    line = next(line for line in sequence.splitlines() if line.startswith(f"python -m infra.stacks deploy {template} "))
    words = filled(line, env).split()
    # `--env E` becomes the template's Env parameter (infra.stacks).
    return {"Env": words[words.index("--env") + 1]} | dict(word.split("=", 1) for word in words if "=" in word)


def rehearsed_lines(sequence: str) -> str:
    return "\n".join(line for line in sequence.splitlines() if AWS_ONLY not in line)


def test_the_sequence_uses_only_placeholders_that_the_readme_sets() -> None:
    placeholders, deploy, update = readme_blocks()
    sequence = deploy + update
    own = set(ASSIGNED.findall(sequence))
    set_first = set(ASSIGNED.findall(placeholders))

    assert set(USED.findall(sequence)) - own - set_first == set()
    assert set(ENVIRONMENTS["dev"]) <= set_first


def test_the_sequence_is_valid_shell() -> None:
    result = subprocess.run(["bash", "-n"], input="".join(readme_blocks()), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_only_certify_and_the_commands_that_run_inside_the_function_are_left_to_real_aws() -> None:
    _, deploy, update = readme_blocks()
    left_out = [line.split("#")[0].strip() for line in (deploy + update).splitlines() if AWS_ONLY in line]

    # The blog has no custom domain of its own: its readers' domain is the CDN's alias.
    assert left_out == [
        "[ $E = dev ] || zappa certify todo_$E --yes",
        "zappa manage blog_$E migrate",
        "zappa manage blog_$E createcachetable",
        'zappa manage blog_$E "createsuperuser --noinput"',
        "zappa manage blog_$E migrate",
    ]


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_mail_domain_is_one_across_the_stacks_and_the_senders_address(env) -> None:
    """SES sends only From the notifications identity, and the role allows only that identity."""
    identity = stack_parameters("notifications", env)["MailDomain"]
    _, deploy, _ = readme_blocks()
    sender = re.search(r'"EMAIL_FROM": "[^"]*@([^">]+)>?"', filled(deploy, env)).group(1)

    assert stack_parameters("roles", env)["MailDomain"] == identity
    assert sender == identity


@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_dax_and_the_vpc_are_chosen_alike_for_the_todo_table_its_role_and_its_stage(env) -> None:
    todo, roles = stack_parameters("todo", env), stack_parameters("roles", env)
    stage = stage_config(f"todo_{env}")
    uses_dax = "DAX_ENDPOINT" in stage["environment_variables"]

    assert todo["EnableDax"] == roles["TodoUsesDax"] == str(uses_dax).lower()
    assert roles["TodoInVpc"] == str(bool(stage.get("vpc_config"))).lower()
    assert roles.get("BlogInVpc", "true") == str(bool(stage_config(f"blog_{env}").get("vpc_config"))).lower()


def test_the_mail_events_are_subscribed_only_once_the_blog_can_answer_snss_confirmation() -> None:
    """SNS refuses to subscribe an HTTPS endpoint that does not answer (and a confirmation that
    nobody received expires): the first notifications stack has no subscription yet."""
    _, deploy, _ = readme_blocks()
    lines = [line.split("#")[0].strip() for line in deploy.splitlines()]
    notifications = [
        i for i, line in enumerate(lines) if line.startswith("python -m infra.stacks deploy notifications")
    ]
    blog_reachable = max(
        i for i, line in enumerate(lines) if "zappa deploy blog_" in line or "zappa certify blog_" in line
    )

    assert lines[notifications[0]].endswith("SubscribeEvents=false")
    assert lines[notifications[-1]].endswith("SubscribeEvents=true") and notifications[-1] > blog_reachable


def test_the_app_is_published_once_its_api_exists_and_again_after_every_update() -> None:
    """app.yaml's CSP names the todo stage's API (known after its deploy) and config.json points
    the app at it; a publish without a fresh build would upload the previous one."""
    _, deploy, update = readme_blocks()
    lines = [line.split("#")[0].strip() for line in deploy.splitlines()]
    todo_stage = lines.index("zappa deploy todo_$E --zip build/todo_$E.zip")
    app_stack = next(i for i, line in enumerate(lines) if line.startswith("python -m infra.stacks deploy app "))
    published = lines.index("python -m infra.publish_app todo_$E")

    assert todo_stage < app_stack < published
    assert lines[app_stack - 1] == "APP_API_ORIGIN=$(python -m infra.stacks app-api-origin todo_$E)"
    assert lines[app_stack].endswith(" $APP_API_ORIGIN")
    assert lines[published - 1] == "make web"
    updated = [line.split("#")[0].strip() for line in update.splitlines()]
    assert updated.index("zappa update todo_$E --zip build/todo_$E.zip") < updated.index("make web")
    assert updated.index("make web") + 1 == updated.index("python -m infra.publish_app todo_$E")


def test_the_readme_says_what_only_real_aws_can_rehearse() -> None:
    section = SECTION.search((ROOT / "README.md").read_text()).group(1)
    for step in ("touch", "zappa certify", "CloudFront", "Cognito", "SES production access", "DNS", "certificates"):
        assert step in section, step


# --- infra.stacks and infra.remote_env, the commands the sequence adds -----------------------


@pytest.fixture
def cloudformation(local_aws, monkeypatch):
    moto_cloudformation.teach(monkeypatch)
    return boto3.client("cloudformation", endpoint_url=local_aws, region_name="us-east-1")


def test_a_stack_is_created_and_updated_through_change_sets_keeping_parameters_not_given(cloudformation) -> None:
    assert (
        stacks.deploy(cloudformation, "storage", "dev", {"AdminOrigins": "https://a.example.com"}) == "CREATE_COMPLETE"
    )

    assert stacks.deploy(cloudformation, "storage", "dev", {}) in ("UPDATE_COMPLETE", "NO_CHANGES")

    assert stacks.outputs(cloudformation, "storage", "dev")["MediaBucketName"] == "myblog-dev-media"
    # The update's change set: Env from --env, the admin's origin kept as the stack has it.
    assert stacks.parameters("storage", "dev", {}, previous={"Project", "Env", "AdminOrigins"}) == [
        {"ParameterKey": "Env", "ParameterValue": "dev"},
        {"ParameterKey": "AdminOrigins", "UsePreviousValue": True},
        {"ParameterKey": "Project", "UsePreviousValue": True},
    ]


def test_the_command_takes_parameters_after_the_environment_as_the_readme_writes_them(cloudformation, capsys) -> None:
    assert stacks.main(["deploy", "storage", "--env", "dev", "AdminOrigins=https://a.example.com"]) == 0
    assert stacks.main(["outputs", "storage", "MediaBucketName", "--env", "dev"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "myblog-dev-media"
    # The key after the environment, as the parameters of deploy may be.
    assert stacks.main(["outputs", "storage", "--env", "dev", "MediaBucketName"]) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "myblog-dev-media"
    assert stacks.main(["outputs", "storage", "MediaBuckt", "--env", "dev"]) == 1

    assert "has no output MediaBuckt (it has: MediaBucketName, " in capsys.readouterr().err
    with pytest.raises(SystemExit):
        stacks.main(["deploy", "storage", "--env", "dev", "AdminOrigins"])


def test_a_parameter_the_template_does_not_declare_fails_before_anything_is_created(cloudformation) -> None:
    with pytest.raises(stacks.DeployError, match="declares no parameter MailDomain"):
        stacks.deploy(cloudformation, "storage", "dev", {"MailDomain": "blog.example.com"})

    assert cloudformation.describe_stacks()["Stacks"] == []


class FailingCreation:
    """CloudFormation as it answers a stack whose creation rolled back (the shape of its API)."""

    class exceptions:  # noqa: N801 (botocore's attribute name)
        ClientError = Exception

    def __init__(self) -> None:
        self.created = False

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803
        if not self.created:
            raise Exception(f"Stack with id {StackName} does not exist")
        return {"Stacks": [{"StackName": StackName, "StackStatus": "ROLLBACK_COMPLETE"}]}

    def create_change_set(self, **kwargs) -> None:
        self.created = True
        self.request = kwargs

    def execute_change_set(self, **kwargs) -> None:
        pass

    def get_waiter(self, name: str):
        def wait(**kwargs) -> None:
            if name == "stack_create_complete":
                raise Exception("Waiter StackCreateComplete failed: terminal failure state")

        return types.SimpleNamespace(wait=wait)

    def describe_stack_events(self, StackName: str) -> dict:  # noqa: N803
        reason = "myblog-dev-media already exists in stack arn:aws:cloudformation:...:stack/other"
        return {
            "StackEvents": [
                {"LogicalResourceId": StackName, "ResourceStatus": "ROLLBACK_COMPLETE"},
                {"LogicalResourceId": "MediaBucket", "ResourceStatus": "CREATE_FAILED", "ResourceStatusReason": reason},
            ]
        }


def test_a_value_the_template_does_not_allow_is_refused_as_cloudformation_refuses_it(cloudformation) -> None:
    endpoint = {"MailDomain": "blog.example.com", "EventsEndpoint": "http://blog.example.com/ses-events/"}
    with pytest.raises(stacks.DeployError, match="Parameter 'EventsEndpoint'.*must match pattern"):
        stacks.deploy(cloudformation, "notifications", "dev", endpoint)
    with pytest.raises(stacks.DeployError, match="Parameter 'VpcId'.*names no existing AWS::EC2::VPC::Id"):
        stacks.deploy(cloudformation, "database", "dev", {"VpcId": "vpc-0123", "SubnetIds": "subnet-1,subnet-2"})


def test_a_failed_creation_says_which_resource_failed_and_why() -> None:
    with pytest.raises(stacks.DeployError, match="ROLLBACK_COMPLETE; MediaBucket: myblog-dev-media already exists"):
        stacks.deploy(FailingCreation(), "storage", "dev", {})


@pytest.mark.parametrize("template", sorted(path.stem for path in INFRA_DIR.glob("*.yaml")))
def test_every_change_set_request_fits_cloudformations_limits(template) -> None:
    """Limits moto does not check: a TemplateBody of at most 51,200 bytes (beyond, only an S3
    TemplateURL), and a change set name of letters, digits and hyphens, starting with a letter."""
    cloudformation = FailingCreation()
    with pytest.raises(stacks.DeployError):
        stacks.deploy(cloudformation, template, "production", {})

    assert len(cloudformation.request["TemplateBody"].encode()) <= 51_200
    assert re.fullmatch(r"[a-zA-Z][-a-zA-Z0-9]{0,127}", cloudformation.request["ChangeSetName"])


def test_the_database_url_carries_the_master_secret(cloudformation, local_aws) -> None:
    stacks.deploy(cloudformation, "network", "dev", {})
    network = stacks.outputs(cloudformation, "network", "dev")
    stacks.deploy(
        cloudformation,
        "database",
        "dev",
        {"VpcId": network["VpcId"], "SubnetIds": network["PrivateSubnetIds"]},
    )
    secrets = boto3.client("secretsmanager", endpoint_url=local_aws, region_name="us-east-1")
    password = json.loads(secrets.get_secret_value(SecretId="myblog-dev-database-master")["SecretString"])["password"]

    url = stacks.database_url(cloudformation, secrets, "dev")

    writer = stacks.outputs(cloudformation, "database", "dev")["WriterEndpoint"]
    assert url == f"postgres://myblog:{password}@{writer}:5432/myblog"


def test_the_cdn_origin_is_the_blog_stages_execute_api_host(local_aws) -> None:
    apigateway = boto3.client("apigateway", endpoint_url=local_aws, region_name="us-east-1")
    api_id = apigateway.create_rest_api(name="myblog-blog-production")["id"]

    assert stacks.api_origin(apigateway, "blog_production") == {
        "BlogApiDomainName": f"{api_id}.execute-api.us-east-1.amazonaws.com",
        "BlogApiOriginPath": "/blog_production",
    }
    with pytest.raises(stacks.DeployError, match="zappa deploy blog_dev"):
        stacks.api_origin(apigateway, "blog_dev")


def test_a_remote_env_file_must_hold_only_strings(tmp_path, local_aws) -> None:
    s3 = boto3.client("s3", endpoint_url=local_aws, region_name="us-east-1")
    s3.create_bucket(Bucket="myblog-dev-config")
    good, bad = tmp_path / "good.json", tmp_path / "bad.json"
    good.write_text(json.dumps({"SECRET_KEY": "s", "ALLOWED_HOSTS": "a,b"}))
    bad.write_text(json.dumps({"SECRET_KEY": "s", "THROTTLE_PROXY_COUNT": 2}))

    with pytest.raises(SystemExit, match="JSON object of strings"):
        remote_env.upload("blog_dev", bad, s3)
    assert remote_env.upload("blog_dev", good, s3) == "s3://myblog-dev-config/blog/environment.json"

    environment = remote_env.environment("blog_dev", s3)
    assert environment["SECRET_KEY"] == "s"
    assert environment["SERVICE"] == "blog"  # the stage's environment_variables under it


def test_remote_env_says_what_is_wrong_with_the_file_it_is_given(tmp_path) -> None:
    not_json = tmp_path / "env.json"
    not_json.write_text("SECRET_KEY=s\n")

    with pytest.raises(SystemExit, match=r"env.json: not JSON \(.*\); expected a JSON object of strings"):
        remote_env.main(["upload", "blog_dev", str(not_json)])
    with pytest.raises(SystemExit, match=r"missing.json: No such file or directory"):
        remote_env.main(["upload", "blog_dev", str(tmp_path / "missing.json")])


def test_remote_env_set_and_run_before_any_upload_say_to_upload_first(local_aws) -> None:
    where = re.escape("no remote_env file at s3://myblog-dev-config/blog/environment.json")
    upload_first = re.escape("upload one first (python -m infra.remote_env upload blog_dev FILE")

    with pytest.raises(SystemExit, match=rf"{where} \(NoSuchBucket\): {upload_first}"):
        remote_env.main(["set", "blog_dev", "DEBUG=0"])
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="myblog-dev-config")
    with pytest.raises(SystemExit, match=rf"{where} \(NoSuchKey\): {upload_first}"):
        remote_env.main(["run", "blog_dev", "--", "true"])


@pytest.mark.parametrize("pair", ["=1", "DEBUG"])
def test_remote_env_set_refuses_a_pair_without_a_name_or_a_value(pair, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        remote_env.main(["set", "blog_dev", "SECRET_KEY=s", pair])

    assert exit.value.code == 2 and "set takes NAME=VALUE pairs" in capsys.readouterr().err


def test_remote_env_run_of_a_command_that_does_not_exist_says_so(tmp_path, local_aws) -> None:
    boto3.client("s3", region_name="us-east-1").create_bucket(Bucket="myblog-dev-config")
    (tmp_path / "env.json").write_text(json.dumps({"SECRET_KEY": "s"}))
    remote_env.main(["upload", "blog_dev", str(tmp_path / "env.json")])

    with pytest.raises(SystemExit, match=r"^no-such-command-here: No such file or directory$"):
        remote_env.main(["run", "blog_dev", "--", "no-such-command-here", "--noinput"])


@pytest.mark.parametrize("env", ["", "Dev", "my env", "dev_1"])
def test_an_environment_that_cannot_be_part_of_a_stack_name_is_refused_before_any_call(env, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        stacks.main(["deploy", "storage", "--env", env])

    assert exit.value.code == 2
    assert "argument --env: expected lower-case letters, digits and hyphens" in capsys.readouterr().err


@pytest.mark.parametrize(("action", "stage"), [("api-origin", "todo_dev"), ("app-api-origin", "blog_production")])
def test_an_origin_of_the_other_service_is_refused_before_any_call(action, stage, capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        stacks.main([action, stage])

    assert exit.value.code == 2 and f"{action} takes a " in capsys.readouterr().err


# --- the rehearsal -------------------------------------------------------------------------

ZAPPA_SHIM = """#!{python}
# zappa, with the touch of the new URL recorded instead of sent (the local endpoint has no URL),
# and ListFunctionUrlConfigs (`zappa update`) answered as AWS does for a function without one:
# moto 5.2.5 has no route for it.
import json, os, sys
import botocore.client
from zappa import cli

def touch_endpoint(self, endpoint_url):
    with open(os.environ["REHEARSAL_TOUCHES"], "a") as touches:
        touches.write(endpoint_url + self.stage_config.get("touch_path", "/") + "\\n")

make_api_call = botocore.client.BaseClient._make_api_call

def answer_what_moto_lacks(self, operation, params):
    if operation == "ListFunctionUrlConfigs":
        return {{"FunctionUrlConfigs": []}}
    if operation in ("CreateFunction", "UpdateFunctionConfiguration"):
        # moto models no SnapStart (it always answers ApplyOn "None"): keep what Zappa asked for.
        asked = {{key: params.get(key) for key in ("FunctionName", "SnapStart", "Environment")}}
        with open(os.environ["REHEARSAL_LAMBDA_CONFIGS"], "a") as configs:
            configs.write(json.dumps({{"operation": operation, **asked}}) + "\\n")
    return make_api_call(self, operation, params)

cli.ZappaCLI.touch_endpoint = touch_endpoint
botocore.client.BaseClient._make_api_call = answer_what_moto_lacks
sys.exit(cli.handle())
"""


def project_copy(destination: Path) -> Path:
    """The working tree (tracked and new files), with this virtualenv and a copy of the wheel cache."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if "node_modules/" in name or not source.is_file():
            continue
        (destination / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination / name)
    (destination / ".venv").symlink_to(VENV)
    for client in ("web", "ts"):  # `make web`: the installed npm packages (with their stamp), not npm ci again
        if (ROOT / "clients" / client / "node_modules").is_dir():
            (destination / "clients" / client / "node_modules").symlink_to(ROOT / "clients" / client / "node_modules")
    cache = ROOT / "build" / "package-cache"
    if cache.is_dir():  # a copy: infra.packaging wants its cache inside the project
        shutil.copytree(cache, destination / "build" / "package-cache")
    return destination


@pytest.mark.rehearse
@pytest.mark.parametrize("env", ENVIRONMENTS)
def test_the_readme_sequence_deploys_both_stages_on_the_local_endpoint(env, tmp_path, local_aws, monkeypatch) -> None:
    moto_cloudformation.teach(monkeypatch)
    invalidations = record_invalidations(monkeypatch)
    project = project_copy(tmp_path / "project")
    shims = tmp_path / "bin"
    shims.mkdir()
    (shims / "zappa").write_text(ZAPPA_SHIM.format(python=VENV / "bin" / "python"))
    (shims / "zappa").chmod(0o755)
    touches = tmp_path / "touches"
    lambda_configs = tmp_path / "lambda-configs"
    placeholders, deploy, update = readme_blocks()
    fill = "".join(f"{name}={value}\n" for name, value in ENVIRONMENTS[env].items())
    script = "set -euo pipefail\ntrap 'echo \"FAILED: $BASH_COMMAND\" >&2' ERR\n"
    script += placeholders + fill + rehearsed_lines(deploy) + "\n" + rehearsed_lines(update)
    environment = {
        **os.environ,
        "PATH": f"{shims}:{VENV / 'bin'}:{os.environ['PATH']}",
        "VIRTUAL_ENV": str(VENV),
        "AWS_ENDPOINT_URL": local_aws,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "REHEARSAL_TOUCHES": str(touches),
        "REHEARSAL_LAMBDA_CONFIGS": str(lambda_configs),
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)

    started = time.monotonic()
    result = subprocess.run(
        ["bash", "-c", script], cwd=project, env=environment, capture_output=True, text=True, timeout=1500
    )
    seconds = time.monotonic() - started

    assert result.returncode == 0, f"{result.stderr[-6000:]}\n--- stdout ---\n{result.stdout[-4000:]}"
    print(f"\nThe README sequence and update for {env} took {seconds:.0f} s")
    aws = {
        name: boto3.client(name, endpoint_url=local_aws, region_name="us-east-1")
        for name in ("cloudformation", "lambda", "apigateway", "s3", "events", "iam")
    }
    deployed = {s["StackName"]: s for s in aws["cloudformation"].describe_stacks()["Stacks"]}
    for template in ("storage", "notifications", "network", "database", "todo", "roles", "cdn", "app"):
        assert deployed[f"myblog-{env}-{template}"]["StackStatus"].endswith("_COMPLETE")

    settings = json.loads((project / "zappa_settings.json").read_text())
    roles = stacks.outputs(aws["cloudformation"], "roles", env)
    for service in ("blog", "todo"):
        stage = f"{service}_{env}"
        assert "FROM_STACK" not in json.dumps(settings[stage])
        assert (project / "build" / f"{stage}.zip").is_file()
        function = aws["lambda"].get_function(FunctionName=f"myblog-{service}-{env}")["Configuration"]
        # The role of roles.yaml, as Zappa was told with manage_roles false.
        assert function["Role"] == roles[f"{service.title()}RoleArn"]
        api = next(a for a in aws["apigateway"].get_rest_apis()["items"] if a["name"] == f"myblog-{service}-{env}")
        methods = [
            (resource["id"], method)
            for resource in aws["apigateway"].get_resources(restApiId=api["id"], embed=["methods"])["items"]
            for method in resource.get("resourceMethods", {})
        ]
        assert "GET" in {method for _, method in methods}, "the post-deploy cache step added the cached GETs"
        # Every Lambda integration, Zappa's and the post step's, calls with the stage's role
        # (tests/infra/test_trust.py: API Gateway may assume it and invoke the function with it).
        for resource_id, method in methods:
            integration = aws["apigateway"].get_integration(
                restApiId=api["id"], resourceId=resource_id, httpMethod=method
            )
            if integration["type"] == "AWS_PROXY":
                assert integration["credentials"] == function["Role"], (resource_id, method)
                # SnapStart stages (production) are invoked through Zappa's `snapstart` alias, never $LATEST.
                alias = ":snapstart" if env == "production" else ""
                assert integration["uri"].endswith(f":function:{function['FunctionName']}{alias}/invocations")
        stage_url = f"https://{api['id']}.execute-api.us-east-1.amazonaws.com/{stage}"
        assert f"{stage_url}/healthz" in touches.read_text().splitlines()
        uploaded = aws["s3"].get_object(Bucket=f"myblog-{env}-config", Key=f"{service}/environment.json")
        assert json.loads(uploaded["Body"].read())["RELEASE"]  # set by the update block
        # Published by `zappa deploy`, then by `zappa update`, next to $LATEST; with SnapStart the update
        # publishes the code, then once more after the configuration, and moves the alias there.
        versions = aws["lambda"].list_versions_by_function(FunctionName=function["FunctionName"])["Versions"]
        if env == "production":
            assert [v["Version"] for v in versions] == ["$LATEST", "1", "2", "3"]
            alias = aws["lambda"].get_alias(FunctionName=function["FunctionName"], Name="snapstart")
            assert alias["FunctionVersion"] == "3"
        else:
            assert [v["Version"] for v in versions] == ["$LATEST", "1", "2"]
        # What Zappa asked Lambda for on deploy and update: SnapStart and Django loaded during init
        # in production only.
        asked = [json.loads(line) for line in lambda_configs.read_text().splitlines()]
        asked = [a for a in asked if a["FunctionName"] == function["FunctionName"]]
        assert [a["operation"] for a in asked] == ["CreateFunction", "UpdateFunctionConfiguration"]
        for a in asked:
            variables = a["Environment"]["Variables"]
            if env == "production":
                assert a["SnapStart"] == {"ApplyOn": "PublishedVersions"}
                assert variables["INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT"] == "1"
            else:
                assert a["SnapStart"] == {"ApplyOn": "None"}
                assert "INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT" not in variables

    blog = aws["lambda"].get_function(FunctionName=f"myblog-blog-{env}")["Configuration"]
    dead_letters = stacks.outputs(aws["cloudformation"], "notifications", env)["TaskDeadLetterQueueArn"]
    assert settings[f"blog_{env}"]["dead_letter_arn"] == dead_letters  # moto keeps no DeadLetterConfig
    # Photos: S3 calls the blog's function for new uploads (Zappa's event source and permission).
    notifications = aws["s3"].get_bucket_notification_configuration(Bucket=f"myblog-{env}-media")
    assert [c["LambdaFunctionArn"] for c in notifications["LambdaFunctionConfigurations"]] == [blog["FunctionArn"]]
    policy = json.loads(aws["lambda"].get_policy(FunctionName=blog["FunctionName"])["Policy"])
    principals = {statement["Principal"]["Service"] for statement in policy["Statement"]}
    assert "s3.amazonaws.com" in principals
    # No keep-warm rule on any stage (tests/infra/test_lambda_runtime.py); other schedules may exist.
    rules = aws["events"].list_rule_names_by_target(TargetArn=blog["FunctionArn"])["RuleNames"]
    assert not [name for name in rules if "keep-warm" in name]
    if env == "production":
        todo = aws["lambda"].get_function(FunctionName="myblog-todo-production")["Configuration"]
        assert todo["VpcConfig"]["SubnetIds"]
    # Static files went to the media bucket behind the CDN; the manifest went into the packages.
    static = aws["s3"].list_objects_v2(Bucket=f"myblog-{env}-media", Prefix="static/")
    assert static["KeyCount"] > 0
    assert (project / "build" / "static-manifest").is_dir()
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in deployed[f"myblog-{env}-notifications"]["Parameters"]}
    assert parameters["SubscribeEvents"] == "true"
    # The CDN's origin is the blog's API, set after its deploy.
    cdn = {p["ParameterKey"]: p["ParameterValue"] for p in deployed[f"myblog-{env}-cdn"]["Parameters"]}
    blog_api = next(a for a in aws["apigateway"].get_rest_apis()["items"] if a["name"] == f"myblog-blog-{env}")
    assert cdn["BlogApiDomainName"] == f"{blog_api['id']}.execute-api.us-east-1.amazonaws.com"
    assert cdn["BlogApiOriginPath"] == f"/blog_{env}"
    # The web app: built and published with the todo stage's API and ids, twice (the sequence and
    # the update), each time invalidating what CloudFront may hold of the previous build.
    app = stacks.outputs(aws["cloudformation"], "app", env)
    config = json.loads(aws["s3"].get_object(Bucket=app["AppBucketName"], Key="config.json")["Body"].read())
    todo_api = next(a for a in aws["apigateway"].get_rest_apis()["items"] if a["name"] == f"myblog-todo-{env}")
    if env == "production":  # its custom domain (zappa certify, real AWS only)
        assert config["apiOrigin"] == f"https://{stage_config('todo_production')['domain']}"
    else:
        assert config["apiOrigin"] == f"https://{todo_api['id']}.execute-api.us-east-1.amazonaws.com/todo_dev"
    assert config["userPoolId"] == stacks.outputs(aws["cloudformation"], "todo", env)["UserPoolId"]
    page = aws["s3"].head_object(Bucket=app["AppBucketName"], Key="sw.js")
    assert (page["ContentType"], page["CacheControl"]) == ("text/javascript; charset=utf-8", "no-cache")
    assert len(invalidations) == 2 and "/index.html" in invalidations[-1]


def test_a_lookup_that_fails_stops_the_sequence_instead_of_deploying_without_its_value() -> None:
    """Under `set -e` a failing `$(...)` inside a command's arguments or a here-document does not
    stop the script (the command runs with an empty value); an assignment's status is the
    substitution's, so every lookup of a stack's output is assigned on a line of its own."""
    lookup = re.compile(r"\$\(python -m infra\.")
    for block in readme_blocks():
        for line in block.splitlines():
            code = line.split("#")[0].strip()
            if lookup.search(code):
                assert re.fullmatch(r"[A-Z_]+=\$\(python -m infra\.[^()]*\)", code), code
