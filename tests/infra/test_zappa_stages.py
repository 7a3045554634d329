"""Every reader of zappa_settings.json sees each stage as `zappa deploy` sees it."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from zappa.cli import ZappaCLI

from infra import zappa_stages

CHAIN = {
    "blog_dev": {"project_name": "myblog", "memory_size": 1024, "environment_variables": {"A": "1"}},
    "blog_staging": {"extends": "blog_dev", "memory_size": 2048, "keep_warm": True},
    "blog_production": {"extends": "blog_staging", "environment_variables": {"B": "2"}},
}


def zappa_view(stage: str, settings: dict, tmp_path: Path) -> dict:
    """The stage's settings as Zappa 0.63 itself resolves them."""
    settings_file = tmp_path / "zappa_settings.json"
    settings_file.write_text(json.dumps(settings))
    cli = ZappaCLI()
    cli.api_stage = stage
    cli.load_settings_file(str(settings_file))
    return cli.stage_config


def test_a_two_level_extends_chain_takes_keys_from_every_ancestor_as_zappa_does(tmp_path) -> None:
    resolved = zappa_stages.resolve("blog_production", CHAIN)

    assert resolved["project_name"] == "myblog"  # from the grandparent
    assert resolved["memory_size"] == 2048 and resolved["keep_warm"] is True  # from the parent
    assert resolved["environment_variables"] == {"B": "2"}  # a shallow merge: the stage's own dict wins whole
    assert resolved == zappa_view("blog_production", CHAIN, tmp_path)


@pytest.mark.parametrize("stage", list(zappa_stages.read()))
def test_every_stage_of_the_project_resolves_as_zappa_resolves_it(stage, tmp_path) -> None:
    assert zappa_stages.stage_config(stage) == zappa_view(stage, zappa_stages.read(), tmp_path)


def test_all_stages_are_resolved_in_the_order_of_the_file() -> None:
    stages = zappa_stages.all_stages()

    assert list(stages) == list(zappa_stages.read())
    assert stages["todo_production"]["project_name"] == stages["todo_dev"]["project_name"]


def test_a_stage_not_in_the_file_is_refused_with_the_stages_there_are() -> None:
    with pytest.raises(SystemExit, match=r"No stage 'blog_qa'.*blog_dev, blog_staging, blog_production"):
        zappa_stages.resolve("blog_qa", CHAIN)


def test_a_stage_extending_a_missing_stage_is_refused() -> None:
    with pytest.raises(SystemExit, match="'blog_production' extends 'blog_qa'"):
        zappa_stages.resolve("blog_production", {"blog_production": {"extends": "blog_qa"}})


def test_a_circular_extends_is_refused_instead_of_looping() -> None:
    settings = {"blog_dev": {"extends": "blog_production"}, "blog_production": {"extends": "blog_dev"}}

    with pytest.raises(SystemExit, match="blog_dev -> blog_production -> blog_dev"):
        zappa_stages.resolve("blog_dev", settings)


# ZappaCLI.callback: the module is loaded from its folder by file, under its bare name; the
# `zappa` command's sys.path has the virtualenv, not the project (-I: nor the working directory).
LOAD_AS_ZAPPA_DOES = """
import os, pkgutil, sys
folder, name = sys.argv[1].rsplit(".", 1)
importer = pkgutil.get_importer(os.path.join(os.getcwd(), *folder.split(".")))
module = importer.find_spec(name).loader.load_module(name)
assert callable(getattr(module, sys.argv[2]))
"""


@pytest.mark.parametrize(
    "callback", sorted({path for config in zappa_stages.all_stages().values() for path in config["callbacks"].values()})
)
def test_zappa_can_load_every_callback_of_the_stages_outside_the_project(callback) -> None:
    module, function = callback.rsplit(".", 1)
    command = [sys.executable, "-I", "-c", LOAD_AS_ZAPPA_DOES, module, function]

    result = subprocess.run(command, cwd=zappa_stages.ROOT, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("stage", list(zappa_stages.read()))
def test_the_service_a_stage_runs_is_the_one_its_name_says(stage) -> None:
    # Zappa's callbacks (infra.stage_env, infra.apigw_cache) take the service from SERVICE.
    variables = zappa_stages.stage_config(stage)["environment_variables"]

    assert variables["SERVICE"] == zappa_stages.service_of(stage)


def test_a_stage_name_says_its_service_and_environment() -> None:
    assert zappa_stages.service_and_env("todo_production") == ("todo", "production")
    assert zappa_stages.service_and_env("blog_dev_eu") == ("blog", "dev_eu")


@pytest.mark.parametrize("stage", ["dev", "shop_dev", "blog_"])
def test_a_stage_of_no_known_service_or_no_environment_is_refused(stage) -> None:
    with pytest.raises(SystemExit, match="not <service>_<env>"):
        zappa_stages.service_and_env(stage)
