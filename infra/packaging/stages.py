"""The stages to build: their settings (infra.zappa_stages), checked for this builder."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.packaging.config import ARCHITECTURE, REPO_ROOT, RUNTIME, PackageError
from infra.zappa_stages import SETTINGS_FILE


def validate_stage(name: str, config: dict) -> None:
    if config.get("runtime", RUNTIME) != RUNTIME:
        raise PackageError(f"stage {name}: runtime {config.get('runtime')!r}; this builder makes {RUNTIME} packages")
    if config.get("architecture", "x86_64") != ARCHITECTURE:
        raise PackageError(f"stage {name}: architecture {config.get('architecture')!r}; the wheels are {ARCHITECTURE}")
    if config.get("slim_handler"):
        raise PackageError(
            f"stage {name}: slim_handler is on, but the package must be one zip uploaded directly (docs/architecture.md, decision 11)"
        )


def zappa_settings_module(stage: str, settings_file: Path) -> str:
    """The zappa_settings.py Zappa itself would put in the stage's package."""
    zappa = Path(sys.executable).with_name("zappa")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "zappa_settings.py"
        command = [str(zappa), "save-python-settings-file", stage, "-o", str(out)]
        if settings_file.resolve() != SETTINGS_FILE.resolve():
            command += ["-s", str(settings_file)]
        result = subprocess.run(  # noqa: S603 (this virtualenv's zappa, the operator's own stage name)
            command,
            cwd=REPO_ROOT,
            env={**os.environ, "VIRTUAL_ENV": sys.prefix},
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0 or not out.exists():
            raise PackageError(f"zappa save-python-settings-file {stage} failed:\n{result.stdout}{result.stderr}")
        return out.read_text()
