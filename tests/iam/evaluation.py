"""Evaluate recorded calls against their production roles and describe what would be denied."""

import json
from dataclasses import dataclass

from .actions import IamRequest
from .recorder import Example, Recording
from .roles import production_roles
from .simulator import Verdict, simulate


@dataclass(frozen=True)
class Denial:
    role: str
    request: IamRequest
    example: Example
    verdict: Verdict

    def describe(self) -> str:
        role = production_roles()[self.role]
        context = dict(self.request.context)
        context.pop("aws:SecureTransport", None)
        lines = [
            f"{self.example.service} {self.example.operation} by {role.description} is {self.verdict.result}:",
            f"  needs {self.request.action} on {self.request.resource}"
            + (f" with {json.dumps(context)}" if context else " (no request context keys)"),
            f"  called at {self.example.where or '?'} in {self.example.test}",
        ]
        if self.verdict.error:
            lines.append(f"  simulator error: {self.verdict.error}")
        for miss in self.verdict.near_misses:
            lines.append(f"  statement {miss['sid']} allows the action but not its {' and '.join(miss['failed'])}")
        statement = {"Effect": "Allow", "Action": self.request.action, "Resource": self.request.resource}
        lines.append(f"  missing statement: {json.dumps(statement)} (or change the call)")
        return "\n".join(lines)


def evaluate(recording: Recording) -> tuple[list[tuple[str, IamRequest, Example, Verdict]], list[Denial]]:
    """Every recorded check with its verdict, and the denied ones."""
    roles = production_roles()
    checks = list(recording.checks.items())
    verdicts = simulate([(roles[role], request) for (role, request), _ in checks])
    results = [
        (role, request, example, verdict) for ((role, request), example), verdict in zip(checks, verdicts, strict=True)
    ]
    denials = [
        Denial(role, request, example, verdict) for role, request, example, verdict in results if not verdict.allowed
    ]
    return results, denials
