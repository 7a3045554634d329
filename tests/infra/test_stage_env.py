"""Every stage gets every variable its service needs, from a declared stack output or the operator."""

import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from infra import stage_env, zappa_stages
from infra.templates import load

ROOT = Path(__file__).resolve().parents[2]
STAGES = list(zappa_stages.read())
OPERATOR_VARIABLES = {name for name, source in stage_env.SOURCES.items() if isinstance(source, stage_env.Operator)}


class FakeStacks:
    """describe_stacks of a deployed environment: each template's outputs, with made-up values."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    def describe_stacks(self, StackName: str) -> dict:  # noqa: N803 (boto3's argument name)
        self.asked.append(StackName)
        template = StackName.split("-", 2)[2]
        outputs = load(f"{template}.yaml").body.get("Outputs", {})
        values = [{"OutputKey": key, "OutputValue": f"{StackName}:{key}"} for key in outputs]
        return {"Stacks": [{"StackName": StackName, "Outputs": values}]}


@pytest.fixture(scope="module")
def required() -> dict[str, list[str]]:
    return {service: stage_env.required_variables(service) for service in ("blog", "todo")}


def test_stage_names_are_service_and_environment() -> None:
    assert sorted(STAGES) == ["blog_dev", "blog_production", "todo_dev", "todo_production"]


def test_each_service_requires_its_own_variables_only(required) -> None:
    assert {"MEDIA_BUCKET", "DATABASE_URL", "SES_EVENTS_TOPIC_ARN"} <= set(required["blog"])
    assert not {"TODO_TABLE", "COGNITO_USER_POOL_ID"} & set(required["blog"])
    assert {"TODO_TABLE", "USER_FILES_BUCKET", "COGNITO_USER_POOL_ID", "COGNITO_APP_CLIENT_ID"} <= set(required["todo"])
    assert not {"MEDIA_BUCKET", "DATABASE_URL", "EMAIL_FROM"} & set(required["todo"])


def test_every_required_variable_has_a_source_and_every_output_source_is_declared(required) -> None:
    for names in required.values():
        assert set(names) <= set(stage_env.SOURCES)
    sources = [s for s in stage_env.SOURCES.values() if isinstance(s, stage_env.Output)]
    sources += list(stage_env.ROLE_OUTPUTS.values())
    for source in sources:
        assert source.key in load(f"{source.template}.yaml").body["Outputs"], source


@pytest.mark.parametrize("stage", STAGES)
def test_a_stage_as_committed_cannot_deploy_until_its_outputs_are_written(stage) -> None:
    problems = stage_env.check(stage, zappa_stages.stage_config(stage), remote_keys=OPERATOR_VARIABLES)
    assert any(problem.startswith("role_arn") for problem in problems)


@pytest.mark.parametrize("stage", STAGES)
def test_writing_the_outputs_completes_a_stage(stage, tmp_path, monkeypatch) -> None:
    settings_file = tmp_path / "zappa_settings.json"
    shutil.copy(ROOT / "zappa_settings.json", settings_file)
    monkeypatch.setattr(zappa_stages, "SETTINGS_FILE", settings_file)
    stacks = FakeStacks()

    stage_env.write(stage, stacks, settings_file)

    config = zappa_stages.stage_config(stage)
    service, env = zappa_stages.service_and_env(stage)
    assert config["role_arn"] == f"myblog-{env}-roles:{stage_env.ROLE_OUTPUTS[service].key}"
    assert all(name.startswith(f"myblog-{env}-") for name in stacks.asked)
    problems = stage_env.check(stage, zappa_stages.stage_config(stage), remote_keys=OPERATOR_VARIABLES)
    # What is left is what only the operator can give: a custom domain's certificate.
    assert [p for p in problems if not p.startswith("certificate_arn")] == []
    if service == "todo":
        assert config["authorizer"]["provider_arns"] == [f"myblog-{env}-todo:UserPoolArn"]
        assert config["environment_variables"]["COGNITO_USER_POOL_ID"] == f"myblog-{env}-todo:UserPoolId"
    if "vpc_config" in config:
        client_group = stage_env.CLIENT_GROUP_OUTPUTS[service]
        assert config["vpc_config"]["SecurityGroupIds"] == [
            f"myblog-{env}-network:LambdaSecurityGroupId",
            f"myblog-{env}-{client_group.template}:{client_group.key}",
        ]


def test_a_secret_missing_from_the_remote_env_file_is_reported(tmp_path, monkeypatch) -> None:
    settings_file = tmp_path / "zappa_settings.json"
    shutil.copy(ROOT / "zappa_settings.json", settings_file)
    monkeypatch.setattr(zappa_stages, "SETTINGS_FILE", settings_file)
    stage_env.write("blog_dev", FakeStacks(), settings_file)

    problems = stage_env.check(
        "blog_dev", zappa_stages.stage_config("blog_dev"), remote_keys=OPERATOR_VARIABLES - {"EMAIL_FROM"}
    )

    assert problems == ["EMAIL_FROM: MISSING from the remote_env file"]


def test_zappa_refuses_to_deploy_a_stage_with_a_gap_but_packages_it(monkeypatch) -> None:
    monkeypatch.setattr(stage_env, "remote_env_keys", lambda config: OPERATOR_VARIABLES)
    cli = SimpleNamespace(api_stage="todo_dev", stage_config=zappa_stages.stage_config("todo_dev"), command="deploy")

    with pytest.raises(SystemExit, match="Not deploying todo_dev: .*role_arn"):
        stage_env.zappa_settings_callback(cli)

    cli.command = "package"
    assert stage_env.zappa_settings_callback(cli) is None


@pytest.fixture
def settings_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    settings_file = tmp_path / "zappa_settings.json"
    shutil.copy(ROOT / "zappa_settings.json", settings_file)
    monkeypatch.setattr(zappa_stages, "SETTINGS_FILE", settings_file)
    return settings_file


def test_writing_a_stage_whose_stacks_are_not_deployed_names_the_stack_to_deploy_and_writes_nothing(
    local_aws, settings_copy
) -> None:
    before = settings_copy.read_text()

    with pytest.raises(SystemExit) as exit:
        stage_env.main(["write", "blog_dev"])

    assert exit.value.code == (
        "no stack myblog-dev-storage: deploy it first (python -m infra.stacks deploy storage --env dev)"
    )
    assert settings_copy.read_text() == before


def test_checking_a_stage_whose_remote_env_file_was_never_uploaded_says_to_upload_it(local_aws) -> None:
    with pytest.raises(
        SystemExit,
        match=r"no remote_env file at s3://myblog-dev-config/blog/environment.json "
        r"\(NoSuchBucket\): upload the stage's secrets first \(python -m infra.remote_env upload",
    ):
        stage_env.main(["check", "blog_dev", "--remote"])


def test_a_certificate_given_to_check_is_refused_not_ignored(capsys) -> None:
    with pytest.raises(SystemExit) as exit:
        stage_env.main(["check", "blog_production", "--certificate-arn", "arn:aws:acm:us-east-1:1:certificate/x"])

    assert exit.value.code == 2 and "--certificate-arn goes with write" in capsys.readouterr().err


def test_a_certificate_for_a_stage_without_a_domain_is_not_written_and_the_output_says_so(
    settings_copy, monkeypatch, capsys
) -> None:
    monkeypatch.setattr("boto3.client", lambda *args, **kwargs: FakeStacks())

    assert stage_env.main(["write", "todo_dev", "--certificate-arn", "arn:aws:acm:us-east-1:1:certificate/x"]) == 0

    assert "certificate_arn" not in zappa_stages.read(settings_copy)["todo_dev"]
    assert "todo_dev: no domain in zappa_settings.json, so no certificate_arn written" in capsys.readouterr().out
