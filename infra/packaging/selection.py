"""Which files go into the zip: Zappa's exclude / exclude_glob semantics, and what Lambda never reads."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

from infra.packaging.config import BOTOCORE_SERVICES, DEPLOY_ONLY_MODULES, KEPT_LANGUAGES


def excluded_by_name(parts: Iterable[str], patterns: list[str]) -> bool:
    """Zappa's `exclude`: shutil.ignore_patterns on every file and directory name on the way."""
    return any(fnmatch.fnmatchcase(part, pattern) for part in parts for pattern in patterns)


def _glob_matches(pattern: list[str], parts: list[str]) -> bool:
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_glob_matches(pattern[1:], parts[i:]) for i in range(len(parts) + 1))
    return bool(parts) and fnmatch.fnmatchcase(parts[0], pattern[0]) and _glob_matches(pattern[1:], parts[1:])


def excluded_by_glob(parts: list[str], globs: list[str]) -> bool:
    """Zappa's `exclude_glob`: Path.glob from the package root; a matched folder goes whole."""
    for glob in globs:
        if PurePosixPath(glob).is_absolute():
            continue
        pattern = [p for p in PurePosixPath(glob).parts if p != "."]
        if any(_glob_matches(pattern, parts[:n]) for n in range(1, len(parts) + 1)):
            return True
    return False


def runtime_unneeded(parts: list[str]) -> bool:
    """Whether an installed dependency file is one the Lambda never reads (see DEPLOY_ONLY_MODULES,
    BOTOCORE_SERVICES and KEPT_LANGUAGES)."""
    if "/".join(parts) in DEPLOY_ONLY_MODULES:
        return True
    if parts[:2] == ["botocore", "data"] and len(parts) > 3 and parts[2] not in BOTOCORE_SERVICES:
        return True
    if parts[-1].endswith(".mo") and "locale" in parts[:-1]:
        language = parts[parts.index("locale") + 1]
        return not any(language == kept or language.startswith(f"{kept}_") for kept in KEPT_LANGUAGES)
    return False


def app_static(parts: list[str], is_package: Callable[[str], bool]) -> bool:
    """Whether a file lies in a Django app's `static/` folder (one that is not a Python package).

    Only `collectstatic` and the development server read those folders; on Lambda every static
    URL comes from the manifest in build/static-manifest/, the files themselves from S3 via the CDN.
    """
    return any(part == "static" and not is_package("/".join(parts[: i + 1])) for i, part in enumerate(parts[:-1]) if i)
