"""Wheels for the python3.13 Lambda runtime: their tags, and pip resolving and downloading them."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from infra.packaging.config import (
    ABI,
    ARCHITECTURE,
    MAX_MANYLINUX_GLIBC,
    PLATFORMS,
    PYTHON_VERSION,
    RUNTIME,
    PackageError,
)

WHEEL_NAME = re.compile(
    r"^(?P<name>[^-]+)-(?P<version>[^-]+)(-\d[^-]*)?-(?P<py>[^-]+)-(?P<abi>[^-]+)-(?P<plat>[^-]+)\.whl$"
)


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lambda_compatible(wheel: str) -> bool:
    """Whether a wheel's tags fit CPython 3.13 on manylinux_2_34 x86_64 or older (Amazon Linux 2023)."""
    match = WHEEL_NAME.match(wheel)
    if not match:
        return False
    pythons, abis, platforms = (set(match[k].split(".")) for k in ("py", "abi", "plat"))
    minor = int(PYTHON_VERSION.split(".")[1])
    python_ok = bool(pythons & {"py3", f"py3{minor}", ABI}) or any(
        re.fullmatch(r"cp3(\d+)", p) and int(p[3:]) <= minor and "abi3" in abis for p in pythons
    )
    abi_ok = bool(abis & {"none", "abi3", ABI})  # not cp313t: the runtime's CPython is not free-threaded
    platform_ok = "any" in platforms
    legacy = {"manylinux1": (2, 5), "manylinux2010": (2, 12), "manylinux2014": (2, 17)}
    for plat in platforms:
        if not plat.endswith(f"_{ARCHITECTURE}"):
            continue
        name = plat.removesuffix(f"_{ARCHITECTURE}")
        if name in legacy:
            platform_ok |= legacy[name] <= MAX_MANYLINUX_GLIBC
        elif m := re.fullmatch(r"manylinux_(\d+)_(\d+)", name):
            platform_ok |= (int(m[1]), int(m[2])) <= MAX_MANYLINUX_GLIBC
    return python_ok and abi_ok and platform_ok


def pip(*args: str, quiet_ok: bool = True) -> subprocess.CompletedProcess:
    command = [sys.executable, "-m", "pip", *args]  # this interpreter's pip; the arguments are the builder's
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    if result.returncode != 0 and not quiet_ok:
        raise PackageError(f"pip {args[0]} failed:\n{_pip_output(result)}")
    return result


def _pip_output(result: subprocess.CompletedProcess) -> str:
    lines = (result.stdout + result.stderr).splitlines()
    return "\n".join(line for line in lines if "is ignored: it is neither a file nor a directory" not in line)


PLATFORM_ARGS = [
    *(arg for plat in PLATFORMS for arg in ("--platform", plat)),
    "--implementation",
    "cp",
    "--python-version",
    PYTHON_VERSION,
    "--abi",
    ABI,
    "--only-binary=:all:",
]


def resolve_pins(requirements: Path, constraints: Path) -> list[tuple[str, str, bool]]:
    """Every distribution requirements.txt needs: (name, version, whether pip found only an sdist).

    The resolution runs for this interpreter: CPython 3.13 on Linux x86_64 evaluates environment
    markers exactly as the Lambda runtime does (the Makefile's venv is 3.13; checked in pipeline.build). Wheels come later, for the Lambda platform.
    """
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        args = ["install", "--dry-run", "--ignore-installed", "--quiet", "--report", str(report)]
        pip(*args, "-r", str(requirements), "-c", str(constraints), quiet_ok=False)
        items = json.loads(report.read_text())["install"]
    pins = []
    for item in items:
        url = item["download_info"]["url"]
        meta = item["metadata"]
        pins.append((meta["name"], meta["version"], not url.split("#")[0].endswith(".whl")))
    return sorted(pins, key=lambda pin: normalize(pin[0]))


def wheel_for(directory: Path, name: str, version: str, pure_only: bool = False) -> Iterator[Path]:
    for wheel in sorted(directory.glob("*.whl")):
        match = WHEEL_NAME.match(wheel.name)
        if not match or normalize(match["name"]) != normalize(name) or match["version"] != version:
            continue
        if lambda_compatible(wheel.name) and (not pure_only or wheel.name.endswith("-none-any.whl")):
            yield wheel


def download_wheels(pins: list[tuple[str, str]], wheel_dir: Path, local_dir: Path) -> list[Path]:
    """Download (or reuse) one Lambda-compatible wheel per pin."""
    wheel_dir.mkdir(parents=True, exist_ok=True)
    requirements = [f"{name}=={version}" for name, version in pins]
    args = ["download", "--no-deps", "--quiet", "-d", str(wheel_dir), "--find-links", str(local_dir), *PLATFORM_ARGS]
    result = pip(*args, *requirements)
    if result.returncode != 0:
        missing = [req for req in requirements if pip(*args, req).returncode != 0]
        raise PackageError(
            f"no wheel for the {RUNTIME} Lambda runtime ({ABI}, manylinux_2_34 {ARCHITECTURE} or older, or pure "
            "Python) for: "
            + ", ".join(missing or requirements)
            + ". Pin a version that publishes such wheels.\n"
            + _pip_output(result)[-3000:]
        )
    wheels = []
    for name, version in pins:
        found = list(wheel_for(wheel_dir, name, version)) or list(wheel_for(local_dir, name, version))
        if not found:
            raise PackageError(f"pip reported {name}=={version} downloaded, but no compatible wheel is in {wheel_dir}")
        wheels.append(found[-1])
    return wheels
