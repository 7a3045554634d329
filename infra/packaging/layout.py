"""The zip as Zappa 0.63 lays it out: a cached dependency layer, the project code, Zappa's entry points."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import shutil
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from infra.packaging.bytecode import compile_sources
from infra.packaging.config import (
    ABI,
    ALWAYS_EXCLUDE,
    ARCHITECTURE,
    DEPLOY_ONLY_DISTRIBUTIONS,
    FIXED_DATE,
    LAYER_FORMAT,
    MAX_GLIBC,
    NEVER_SHIPPED_TOP_LEVEL,
    PYTHON_VERSION,
    REPO_ROOT,
    STATIC_MANIFEST_DIR,
    ZAPPA_EXCLUDES,
    PackageError,
    info,
    mib,
)
from infra.packaging.elf import check_zip, is_library_name
from infra.packaging.selection import app_static, excluded_by_glob, excluded_by_name, runtime_unneeded
from infra.packaging.wheels import normalize


def _zip_info(name: str, executable: bool = False) -> zipfile.ZipInfo:
    entry = zipfile.ZipInfo(name, FIXED_DATE)
    entry.create_system = 3  # unix permissions: Lambda's user must be able to read every file
    entry.external_attr = (0o100755 if executable else 0o100644) << 16
    entry.compress_type = zipfile.ZIP_DEFLATED
    return entry


@dataclass
class Layer:
    """The dependency part of a package, shared by the stages that exclude the same things."""

    path: Path
    sizes: dict[str, int]  # distribution -> compressed bytes
    handler_py: bytes
    django_zappa_py: bytes


def wheel_members(wheel: zipfile.ZipFile) -> Iterator[tuple[zipfile.ZipInfo, str]]:
    """(member, installed path) as pip would install the wheel into a target directory."""
    for member in wheel.infolist():
        if member.is_dir():
            continue
        parts = member.filename.split("/")
        if parts[0].endswith(".data"):
            if len(parts) > 2 and parts[1] in ("purelib", "platlib"):
                yield member, "/".join(parts[2:])
            continue  # scripts, headers and data files have no use on Lambda
        yield member, member.filename


def dependency_layer(wheels: list[Path], excludes: list[str], globs: list[str], cache_dir: Path) -> Layer:
    key_source = json.dumps([LAYER_FORMAT, [w.name for w in wheels], excludes, globs])
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    path = cache_dir / f"dependencies-{key}.zip"
    meta_path = path.with_suffix(".json")
    if path.exists() and meta_path.exists():
        info(f"dependency layer from the cache ({path.relative_to(REPO_ROOT)})")
    else:
        sizes: dict[str, int] = {}
        seen: dict[str, str] = {}
        sources: dict[str, bytes] = {}
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        with zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as out:
            for wheel_path in wheels:
                dist = wheel_path.name.split("-", 1)[0]  # a wheel file name's first field (PEP 427)
                if normalize(dist) in DEPLOY_ONLY_DISTRIBUTIONS:
                    info(f"{dist}: left out (needed only to deploy, never on Lambda)")
                    continue
                with zipfile.ZipFile(wheel_path) as wheel:
                    members = list(wheel_members(wheel))
                    inits = {target.rsplit("/", 1)[0] for _, target in members if target.endswith("/__init__.py")}
                    kept = [
                        (member, target)
                        for member, target in members
                        if not (
                            excluded_by_name(target.split("/"), ZAPPA_EXCLUDES + ALWAYS_EXCLUDE + excludes)
                            or excluded_by_glob(target.split("/"), globs)
                            or app_static(target.split("/"), inits.__contains__)
                            or runtime_unneeded(target.split("/"))
                        )
                    ]
                    if all(".dist-info/" in target for _, target in kept):
                        info(f"{dist}: left out whole (nothing of it passes the exclusions)")
                        continue
                    for member, target in kept:
                        if target in seen:
                            raise PackageError(f"{target} is in both {seen[target]} and {dist}")
                        seen[target] = dist
                        executable = bool((member.external_attr >> 16) & 0o111) or is_library_name(target)
                        data = wheel.read(member)
                        out.writestr(_zip_info(target, executable), data)
                        if target.endswith(".py"):
                            sources[target] = data
            byte_code, failed = compile_sources(sources)  # (bytecode.py says why the zip carries it)
            for name in failed:
                info(f"{name}: not valid Python {PYTHON_VERSION}, shipped without byte code")
            for name, data in sorted(byte_code.items()):
                seen[name] = seen[importlib.util.source_from_cache(name)]
                out.writestr(_zip_info(name), data)
            for entry in out.infolist():
                sizes[seen[entry.filename]] = sizes.get(seen[entry.filename], 0) + entry.compress_size
        meta_tmp = meta_path.with_name(f"{meta_path.name}.{os.getpid()}.tmp")
        meta_tmp.write_text(json.dumps(sizes, indent=1))
        os.replace(meta_tmp, meta_path)
        os.replace(tmp, path)
        info(f"dependency layer written: {len(seen)} files, {mib(path.stat().st_size)}")
    sizes = json.loads(meta_path.read_text())
    with zipfile.ZipFile(path) as layer:
        names = set(layer.namelist())
        if "zappa/handler.py" not in names:
            raise PackageError("zappa is not among the runtime dependencies (requirements.txt)")
        return Layer(path, sizes, layer.read("zappa/handler.py"), layer.read("zappa/ext/django_zappa.py"))


def project_files(root: Path, excludes: list[str], globs: list[str]) -> Iterator[tuple[Path, str]]:
    """The project code Lambda runs: top-level Python packages and modules, minus the exclusions.

    Zappa would copy the whole working directory; only what is importable (plus the data inside
    those packages: templates, migrations, static sources) is needed, and nothing else that lies
    around in a checkout (databases, artifacts, .env files) can slip in.
    """
    never = NEVER_SHIPPED_TOP_LEVEL
    for top in sorted(root.iterdir()):
        name = top.name
        importable = (top.is_dir() and (top / "__init__.py").exists()) or (top.is_file() and top.suffix == ".py")
        if not importable or name.startswith(".") or name in never or name in {"manage.py", "zappa_settings.py"}:
            continue
        candidates = [top] if top.is_file() else sorted(p for p in top.rglob("*") if p.is_file())
        for path in candidates:
            parts = list(path.relative_to(root).parts)
            if (
                excluded_by_name(parts, ZAPPA_EXCLUDES + ALWAYS_EXCLUDE + excludes)
                or excluded_by_glob(parts, globs)
                or app_static(parts, lambda folder: (root / folder / "__init__.py").exists())
            ):
                continue
            yield path, "/".join(parts)
    manifest = root / STATIC_MANIFEST_DIR
    if manifest.is_dir():
        for path in sorted(p for p in manifest.rglob("*") if p.is_file()):
            yield path, path.relative_to(root).as_posix()


def skipped_top_level(root: Path) -> list[str]:
    """Top-level entries the package leaves out, for the build log."""
    shipped = {rel.split("/")[0] for _, rel in project_files(root, [], [])}
    return sorted(p.name for p in root.iterdir() if p.name not in shipped and not p.name.startswith("."))


@dataclass
class StageResult:
    stage: str
    zip_path: Path
    size: int
    uncompressed: int
    sizes: dict[str, int]
    libraries: int
    problems: list[str]
    wheels: list[Path] = field(default_factory=list)  # the runtime dependencies it was built from


def build_stage(stage: str, config: dict, layer: Layer, settings_py: str, out_dir: Path) -> StageResult:
    out_dir.mkdir(parents=True, exist_ok=True)
    final = out_dir / f"{stage}.zip"
    tmp = out_dir / f".{stage}.zip.{os.getpid()}.tmp"
    shutil.copyfile(layer.path, tmp)
    sizes = dict(layer.sizes)
    with zipfile.ZipFile(tmp, "a", zipfile.ZIP_DEFLATED) as out:
        existing = set(out.namelist())

        owners: dict[str, str] = {}
        sources: dict[str, bytes] = {}

        def add(name: str, data: bytes, owner: str) -> None:
            if name in existing:
                raise PackageError(f"{name} from {owner} would overwrite a dependency's file")
            existing.add(name)
            out.writestr(_zip_info(name, executable=is_library_name(name)), data)
            sizes[owner] = sizes.get(owner, 0) + out.getinfo(name).compress_size
            if name.endswith(".py"):
                sources[name], owners[name] = data, owner

        for path, rel in project_files(REPO_ROOT, config.get("exclude", []), config.get("exclude_glob", [])):
            add(rel, path.read_bytes(), "(project)")
        # As ZappaCLI.create_package: the handler at the root, where Lambda looks for it...
        add("handler.py", layer.handler_py, "(zappa entry point)")
        if config.get("django_settings"):
            add("django_zappa_app.py", layer.django_zappa_py, "(zappa entry point)")
        add("zappa_settings.py", settings_py.encode(), "(zappa entry point)")
        package_info = {
            "build_time": str(int(time.time())),
            "build_platform": f"linux (wheels: {ABI} manylinux_2_{MAX_GLIBC[1]}_{ARCHITECTURE} or older)",
            "builder": "infra.packaging",
            "stage": stage,
        }
        add("package_info.json", json.dumps(package_info, indent=4).encode(), "(zappa entry point)")
        byte_code, failed = compile_sources(sources)
        if failed:
            raise PackageError(f"not valid Python {PYTHON_VERSION}: {', '.join(failed)}")
        for name, data in sorted(byte_code.items()):
            add(name, data, owners[importlib.util.source_from_cache(name)])
    libraries, problems = check_zip(tmp)
    with zipfile.ZipFile(tmp) as archive:
        uncompressed = sum(i.file_size for i in archive.infolist())
    os.replace(tmp, final)
    return StageResult(stage, final, final.stat().st_size, uncompressed, sizes, libraries, problems)
