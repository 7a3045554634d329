"""The one reader of zappa_settings.json: each stage as Zappa sees it, and what its name says.

Packaging (infra.packaging), the stage-variable check (infra.stage_env), the cache step
(infra.apigw_cache), the remote environment (infra.remote_env), the stacks (infra.stacks) and the
tests read the stages here, so they all agree with ``zappa deploy`` on what a stage holds. Zappa's
callbacks are the exception: Zappa loads their modules outside the package, and hands them the
stage as it resolved it (``cli.stage_config``).

Zappa 0.63 (``ZappaCLI.stage_config``) resolves ``extends`` as a chain: the stage's own keys over
those of the stage it extends, over those of the stage that one extends, and so on. The merge is
shallow: a stage that sets ``environment_variables`` replaces its parent's whole dictionary.

Stages are named ``<service>_<env>`` (blog_dev, todo_production): the service selects the
settings, role and URLconf of the function; the env selects the stacks (``myblog-<env>-...``).
"""

import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_FILE = ROOT / "zappa_settings.json"
SERVICES = ("blog", "todo")

Settings = dict[str, dict[str, Any]]


class StageError(SystemExit):
    """A stage that is not in the file, or not named as the project names stages.

    A SystemExit: every caller is a command (or a Zappa callback) run by the operator, who needs
    the message, not a traceback.
    """


def read(settings_file: Path | None = None) -> Settings:
    """The file as written (the project's unless another is named): every stage with its own keys only."""
    return json.loads((settings_file or SETTINGS_FILE).read_text())


def resolve(stage: str, settings: Settings) -> dict[str, Any]:
    """The stage's settings with its whole ``extends`` chain applied, as Zappa applies it."""
    chain: list[str] = []
    name: str | None = stage
    while name:
        if name in chain:
            raise StageError(f"circular 'extends' in zappa_settings.json: {' -> '.join([*chain, name])}")
        if name not in settings:
            known = ", ".join(settings)
            if not chain:
                raise StageError(f"No stage {stage!r} in zappa_settings.json (stages: {known}).")
            raise StageError(f"Stage {chain[-1]!r} extends {name!r}, which is not in zappa_settings.json.")
        chain.append(name)
        name = settings[name].get("extends")
    merged: dict[str, Any] = {}
    for name in reversed(chain):  # the farthest ancestor first, the stage itself last
        merged.update(settings[name])
    return merged


def stage_config(stage: str, settings: Settings | None = None) -> dict[str, Any]:
    """One stage, resolved, from ``settings`` (as read) or from the project's file."""
    return resolve(stage, settings if settings is not None else read())


def all_stages(settings_file: Path | None = None) -> Settings:
    """Every stage of the file, resolved, in the file's order."""
    settings = read(settings_file)
    return {stage: resolve(stage, settings) for stage in settings}


def service_and_env(stage: str) -> tuple[str, str]:
    """``blog_production`` -> ("blog", "production")."""
    service, _, env = stage.partition("_")
    if service not in SERVICES or not env:
        raise StageError(f"Stage {stage!r} is not <service>_<env> with a service among {sorted(SERVICES)}.")
    return service, env


def service_of(stage: str) -> str:
    return service_and_env(stage)[0]
