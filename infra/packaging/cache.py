"""The runtime dependencies' wheels, kept in build/package-cache/ while the requirements do not change."""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from infra.packaging.config import REPO_ROOT, WHEELS_FORMAT, info
from infra.packaging.sdist import build_pure_wheels
from infra.packaging.wheels import PLATFORM_ARGS, download_wheels, resolve_pins


def lambda_wheels(requirements: Path, constraints: Path, cache_dir: Path) -> list[Path]:
    """The wheels of the runtime dependencies, from the cache when requirements did not change."""
    key_source = "\n".join([WHEELS_FORMAT, requirements.read_text(), constraints.read_text(), *PLATFORM_ARGS])
    key = hashlib.sha256(key_source.encode()).hexdigest()[:16]
    lock = cache_dir / f"wheels-{key}.json"
    wheel_dir, local_dir = cache_dir / "wheels", cache_dir / "local-wheels"
    if lock.exists():
        wheels = [cache_dir / rel for rel in json.loads(lock.read_text())]
        if all(w.exists() for w in wheels):
            info(f"{len(wheels)} wheels from the cache ({lock.relative_to(REPO_ROOT)})")
            return wheels

    started = time.monotonic()
    pins = resolve_pins(requirements, constraints)
    info(f"resolved {len(pins)} distributions from {requirements.name} with {constraints.name}")
    sdist_only = [(name, version) for name, version, sdist in pins if sdist]
    if sdist_only:
        build_pure_wheels(sdist_only, constraints, local_dir)
    wheels = download_wheels([(name, version) for name, version, _ in pins], wheel_dir, local_dir)
    info(f"{len(wheels)} wheels ready in {time.monotonic() - started:.0f} s")
    cache_dir.mkdir(parents=True, exist_ok=True)
    tmp = lock.with_name(f"{lock.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps([str(w.relative_to(cache_dir)) for w in wheels], indent=1))
    os.replace(tmp, lock)
    return wheels
