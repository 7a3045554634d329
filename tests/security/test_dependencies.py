"""Known vulnerabilities in what the Lambda package carries (issue 12): pip-audit, `make audit-deps`.

The runtime set is requirements.txt and everything it pulls in, each at the version
constraints.txt locks (what `make package` and the venv install). pip-audit looks each one up in
PyPI's advisory data (its "pypi" vulnerability service, the registry's JSON API) with no
resolving of its own, and the test fails on any vulnerability that has a fixed version, unless
security/pip-audit-ignore.txt lists it with a review that is still current.
"""

import json
import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import date
from importlib import metadata
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
IGNORE_LIST = ROOT / "security" / "pip-audit-ignore.txt"
# Zappa requires pip, but the package leaves it out (infra/packaging/config.py ZAPPA_EXCLUDES).
NOT_PACKAGED = {"pip"}

pytestmark = [pytest.mark.network, pytest.mark.advisories, pytest.mark.slow]


def locked_versions() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, _, version = line.split("#")[0].strip().partition("==")
        if version:
            pins[canonicalize_name(name)] = version.strip()
    return pins


def runtime_requirements() -> set[str]:
    """requirements.txt and, through the installed packages' metadata, all they depend on
    (with the extras asked for, and only what applies on Linux with this Python)."""
    wanted = [
        Requirement(line.split("#")[0].strip())
        for line in (ROOT / "requirements.txt").read_text().splitlines()
        if line.split("#")[0].strip()
    ]
    seen: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        name = canonicalize_name(requirement.name)
        extras = set(requirement.extras)
        if (name in seen and not extras) or name in NOT_PACKAGED:
            continue
        seen.add(name)
        for line in metadata.requires(requirement.name) or []:
            dependency = Requirement(line)
            marker = dependency.marker
            if marker is None or any(marker.evaluate({"extra": extra}) for extra in extras or {""}):
                wanted.append(dependency)
    return seen


@dataclass(frozen=True)
class Ignored:
    id: str
    reviewed: date
    review_by: date
    reason: str


def ignore_list() -> list[Ignored]:
    """security/pip-audit-ignore.txt: `<id> | reviewed <date> | review by <date> | <reason>`."""
    entries = []
    for line in IGNORE_LIST.read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        fields = [field.strip() for field in line.split("|")]
        assert len(fields) == 4, f"not `<id> | reviewed <date> | review by <date> | <reason>`: {line}"
        vuln_id, reviewed, review_by, reason = fields
        dates = [re.fullmatch(r"(reviewed|review by) (\d{4}-\d\d-\d\d)", field) for field in (reviewed, review_by)]
        assert all(dates) and reason, f"not `<id> | reviewed <date> | review by <date> | <reason>`: {line}"
        entries.append(Ignored(vuln_id, *(date.fromisoformat(m[2]) for m in dates if m), reason))
    return entries


def test_every_runtime_dependency_is_locked_to_one_version() -> None:
    assert sorted(runtime_requirements() - locked_versions().keys()) == []


def test_the_ignore_list_is_reviewed_and_no_review_is_overdue() -> None:
    overdue = [entry.id for entry in ignore_list() if entry.review_by < date.today()]
    assert overdue == [], f"review these again and update {IGNORE_LIST.relative_to(ROOT)}"


def test_no_locked_runtime_dependency_has_a_known_vulnerability_with_a_fix(tmp_path: Path) -> None:
    pins = locked_versions()
    requirements = tmp_path / "runtime.txt"
    requirements.write_text("".join(f"{name}=={pins[name]}\n" for name in sorted(runtime_requirements())))

    audit = subprocess.run(
        [sys.executable, "-m", "pip_audit", "--requirement", str(requirements), "--no-deps", "--disable-pip"]
        + ["--vulnerability-service", "pypi", "--format", "json", "--progress-spinner", "off", "--strict"],
        capture_output=True,
        text=True,
        timeout=300,
    )

    # --strict: a package pip-audit cannot look up fails the audit (no output) instead of passing
    # unaudited; exit status 1 with a report only says that something was found.
    assert audit.stdout, f"pip-audit could not audit every package (is PyPI's advisory data reachable?)\n{audit.stderr}"
    report = json.loads(audit.stdout)
    assert {canonicalize_name(d["name"]) for d in report["dependencies"]} == set(runtime_requirements())
    found = unfixed(report, {entry.id for entry in ignore_list()})
    assert found == [], f"upgrade, or review and list in {IGNORE_LIST.relative_to(ROOT)}"


def unfixed(report: dict[str, Any], ignored: set[str]) -> list[str]:
    """The vulnerabilities of pip-audit's JSON report that have a fixed version and no review."""
    return [
        f"{dependency['name']} {dependency['version']}: {vuln['id']} (fixed in {', '.join(vuln['fix_versions'])})"
        for dependency in report["dependencies"]
        for vuln in dependency.get("vulns", [])
        if vuln["fix_versions"] and not ignored.intersection([vuln["id"], *vuln.get("aliases", [])])
    ]


def test_a_vulnerability_with_a_fixed_version_fails_the_audit_unless_its_id_or_an_alias_is_reviewed() -> None:
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "fix_versions": ["5.2.1"], "aliases": ["CVE-1"]}],
            },
            {"name": "qrcode", "version": "8.2", "vulns": [{"id": "GHSA-2", "fix_versions": [], "aliases": []}]},
            {"name": "nh3", "version": "0.3.8", "vulns": []},
        ]
    }

    assert unfixed(report, set()) == ["django 5.2.0: PYSEC-1 (fixed in 5.2.1)"]
    assert unfixed(report, {"PYSEC-1"}) == unfixed(report, {"CVE-1"}) == []
