"""The runtime, architecture and SnapStart of every stage, as Zappa 0.63 deploys them (docs/architecture.md, decision 11).

Every stage runs python3.13 (Amazon Linux 2023) on x86_64, the platform infra.packaging builds for.
SnapStart is on in production only. AWS's rules for it (Lambda developer guide, "SnapStart"): only
published versions and aliases get snapshots, never $LATEST; no provisioned concurrency, no EFS, no
ephemeral storage above 512 MB; Python from python3.12. Zappa 0.63 passes `snap_start` as
`SnapStart.ApplyOn`, publishes a version after each configuration update and points its `snapstart`
alias (API Gateway's qualifier) at it; it refuses provisioned concurrency with SnapStart and fewer
than two retained versions. moto enforces none of this, so the stages are checked here.
"""

import json
from pathlib import Path
from typing import Any

import pytest
from click.exceptions import ClickException
from zappa.cli import ZappaCLI
from zappa.core import SNAPSTART_LAMBDA_ALIAS

from infra import zappa_stages
from infra.packaging import config

STAGES = list(zappa_stages.read())
SNAPSTART_RUNTIMES = ("python3.12", "python3.13", "python3.14")


def zappa_cli(stage: str, tmp_path: Path, settings: dict[str, Any] | None = None) -> ZappaCLI:
    """The stage as Zappa's CLI loads it for `zappa deploy` / `zappa update`."""
    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps(settings or zappa_stages.read()))
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings(str(settings_file))
    return cli


def snap_start_on(stage_config: dict[str, Any]) -> bool:
    return stage_config.get("snap_start", "None") not in (None, "None")


@pytest.mark.parametrize("stage", STAGES)
def test_every_stage_runs_the_runtime_and_architecture_the_package_is_built_for(stage, tmp_path) -> None:
    cli = zappa_cli(stage, tmp_path)

    assert cli.runtime == config.RUNTIME == "python3.13"
    assert cli.architecture == config.ARCHITECTURE == "x86_64"


@pytest.mark.parametrize("stage", STAGES)
def test_snapstart_is_on_exactly_on_the_production_stages(stage) -> None:
    assert snap_start_on(zappa_stages.stage_config(stage)) == (zappa_stages.service_and_env(stage)[1] == "production")


@pytest.mark.parametrize("stage", [s for s in STAGES if snap_start_on(zappa_stages.stage_config(s))])
def test_a_snapstart_stage_keeps_to_lambdas_and_zappas_rules(stage, tmp_path) -> None:
    stage_config = zappa_stages.stage_config(stage)
    cli = zappa_cli(stage, tmp_path)

    assert cli.snap_start == "PublishedVersions"  # SnapStart.ApplyOn: the only value besides "None"
    assert cli.runtime in SNAPSTART_RUNTIMES
    assert cli.provisioned_concurrency is None
    assert not stage_config.get("efs_config")
    assert cli.ephemeral_storage["Size"] <= 512
    # API Gateway calls the alias Zappa moves to each new version once its snapshot is ready.
    assert cli.apigateway_lambda_qualifier == SNAPSTART_LAMBDA_ALIAS
    # Every retained version keeps a snapshot cached (billed); two is the least Zappa accepts, and
    # keeps the previous release for `zappa rollback -n 2` (an update publishes two versions).
    assert cli.num_retained_versions == 2


@pytest.mark.parametrize("stage", [s for s in STAGES if snap_start_on(zappa_stages.stage_config(s))])
def test_a_snapstart_stage_loads_django_during_init_so_the_snapshot_holds_it(stage, tmp_path) -> None:
    """Zappa's handler.py reads INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT from os.environ when Lambda imports
    it: only a variable of the function's own environment (aws_environment_variables) is there then;
    environment_variables reach os.environ later, from zappa_settings.py, when the handler starts."""
    cli = zappa_cli(stage, tmp_path)
    handler = Path(__import__("zappa.handler").handler.__file__).read_text()

    assert 'if os.environ.get("INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT"):' in handler
    assert cli.aws_environment_variables == {"INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT": "1"}
    assert "INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT" not in cli.environment_variables


@pytest.mark.parametrize("stage", [s for s in STAGES if snap_start_on(zappa_stages.stage_config(s))])
def test_a_snapstart_stage_has_no_keep_warm_rule_which_would_warm_latest_not_the_alias(stage, tmp_path) -> None:
    """ZappaCLI.schedule points the keep-warm rule at the unqualified function ARN, i.e. $LATEST:
    it would keep an environment warm that no API request reaches (they go to the alias)."""
    cli = zappa_cli(stage, tmp_path)

    assert cli.stage_config.get("keep_warm") is False


@pytest.mark.parametrize("stage", [s for s in STAGES if snap_start_on(zappa_stages.stage_config(s))])
def test_zappa_refuses_snapstart_with_provisioned_concurrency_or_one_retained_version(stage, tmp_path) -> None:
    for extra, complaint in (
        ({"provisioned_concurrency": 1}, "provisioned_concurrency"),
        ({"num_retained_versions": 1}, "num_retained_versions"),
    ):
        settings = zappa_stages.read()
        settings[stage].update(extra)

        with pytest.raises(ClickException, match=complaint):
            zappa_cli(stage, tmp_path, settings)


@pytest.mark.parametrize("stage", [s for s in STAGES if not snap_start_on(zappa_stages.stage_config(s))])
def test_a_stage_without_snapstart_calls_latest_and_loads_django_on_the_first_request(stage, tmp_path) -> None:
    cli = zappa_cli(stage, tmp_path)

    assert cli.apigateway_lambda_qualifier is None
    assert "INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT" not in cli.aws_environment_variables
