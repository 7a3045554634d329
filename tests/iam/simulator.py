"""Run tests/iam/simulate.mjs (the npm package @cloud-copilot/iam-simulate) on a batch of IAM
requests, in one Node process. `make test` installs the package (npm ci in tests/iam/)."""

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from .actions import IamRequest
from .roles import Role

HERE = Path(__file__).resolve().parent


class SimulatorMissing(Exception):
    pass


@dataclass(frozen=True)
class Verdict:
    result: str  # Allowed, ImplicitlyDenied, ExplicitlyDenied, Error
    allowed_by: list[str] = field(default_factory=list)
    near_misses: list[dict[str, object]] = field(default_factory=list)
    error: str = ""

    @property
    def allowed(self) -> bool:
        return self.result == "Allowed"


def simulate(checks: list[tuple[Role, IamRequest]]) -> list[Verdict]:
    """The verdict of each (role, request), in order."""
    if not checks:
        return []
    node = shutil.which("node")
    if node is None or not (HERE / "node_modules" / "@cloud-copilot" / "iam-simulate").is_dir():
        raise SimulatorMissing("The IAM simulator is not installed: run `make test` (or `cd tests/iam && npm ci`).")
    roles = {role.key: {"principal": role.principal, "policies": list(role.policies)} for role, _ in checks}
    batch = {
        "roles": roles,
        "requests": [
            {"role": role.key, "action": r.action, "resource": r.resource, "context": dict(r.context)}
            for role, r in checks
        ],
    }
    done = subprocess.run(
        [node, str(HERE / "simulate.mjs")],
        input=json.dumps(batch),
        capture_output=True,
        text=True,
        cwd=HERE,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the IAM simulator failed: {done.stderr.strip()}")
    return [
        Verdict(
            result=item["result"],
            allowed_by=item.get("allowedBy", []),
            near_misses=item.get("nearMisses", []),
            error=item.get("error", ""),
        )
        for item in json.loads(done.stdout)
    ]
