"""Distributions published only as an sdist, built into pure-Python wheels here."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from infra.packaging.config import PackageError, info
from infra.packaging.wheels import pip, wheel_for


def build_pure_wheels(pins: list[tuple[str, str]], constraints: Path, out_dir: Path) -> None:
    """Build wheels for sdist-only distributions, accepting only pure-Python results."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for name, version in pins:
        if any(wheel_for(out_dir, name, version, pure_only=True)):
            info(f"{name}=={version}: pure-Python wheel already built")
            continue
        info(f"{name}=={version}: no wheel published; building one locally")
        with tempfile.TemporaryDirectory() as tmp:
            pip(
                "wheel", "--no-deps", "--quiet", "-w", tmp, "-c", str(constraints), f"{name}=={version}", quiet_ok=False
            )
            for built in Path(tmp).glob("*.whl"):
                if not built.name.endswith("-none-any.whl"):
                    raise PackageError(
                        f"{name}=={version} has no manylinux wheel for the runtime and builds a compiled one "
                        f"({built.name}) on this machine, which would need this machine's glibc: pin a version "
                        "with a manylinux_2_34 (or older) wheel, or build it in an Amazon Linux 2023 container"
                    )
                shutil.copy2(built, out_dir / built.name)
