"""What every benchmark shares: the machine it ran on, the results file, the local environment.

Run a benchmark as a module from the repository root (`python -m benchmarks.NAME`, as `make bench`
does), so that the project's packages are importable as they are everywhere else.

Every result is one JSON document in benchmarks/results/ with the time it was measured, the machine
(a shared one: the ratios compare, the absolute figures do not) and the shape benchmarks/chart.py
reads. The environment is the local one of the tests: a moto server on loopback standing in for
AWS, processes started with a clean environment, the settings module Zappa itself generates for a
stage, and the API Gateway (REST, payload 1.0) events Zappa's handler receives.
"""

from __future__ import annotations

import json
import logging
import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS_DIR = ROOT / "benchmarks" / "results"
REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}  # the local endpoint's


def load_average() -> tuple[float, float, float] | None:
    return os.getloadavg() if hasattr(os, "getloadavg") else None


def machine(load_average_at_start: tuple[float, float, float] | None = None, **versions: str) -> dict[str, Any]:
    """The machine facts of a result; ``versions``: of what the benchmark measures (django=..., pillow=...)."""
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average_at_start": load_average_at_start if load_average_at_start is not None else load_average(),
        "note": "a shared machine, loaded by other work while this ran: compare the ratios, not absolute figures",
        **versions,
    }


def write_results(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {"measured_at": datetime.now(UTC).isoformat(timespec="seconds"), **document}
    path.write_text(json.dumps(document, indent=2) + "\n")
    print(f"\nwritten to {path}")


def start_moto() -> tuple[Any, str]:
    from infra.local_endpoint import ThreadedEndpoint

    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedEndpoint()
    return server, server.url


def aws_environment(endpoint: str) -> dict[str, str]:
    """The variables that send every AWS client of a process to the local endpoint."""
    return {"AWS_ENDPOINT_URL": endpoint, **CREDENTIALS, "AWS_DEFAULT_REGION": REGION}


def boto_args(endpoint: str) -> dict[str, str]:
    """The same as arguments of boto3.client()."""
    return {
        "endpoint_url": endpoint,
        "aws_access_key_id": CREDENTIALS["AWS_ACCESS_KEY_ID"],
        "aws_secret_access_key": CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
        "region_name": REGION,
    }


def base_environment() -> dict[str, str]:
    """A clean process environment: nothing inherited from the shell but PATH and the locale."""
    keep = ("PATH", "LANG", "LC_ALL", "HOME", "TMPDIR")
    return {name: os.environ[name] for name in keep if name in os.environ}


def zappa_settings_text(stage: str) -> str:
    """The zappa_settings.py `zappa deploy` would package for the stage, made by Zappa itself."""
    from infra.packaging.config import PackageError
    from infra.packaging.stages import zappa_settings_module
    from infra.zappa_stages import SETTINGS_FILE

    try:
        return zappa_settings_module(stage, SETTINGS_FILE)
    except PackageError as error:
        sys.exit(str(error))


def apigw_event(
    path: str,
    *,
    host: str,
    stage: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """An API Gateway REST (payload 1.0) proxy event for a JSON request, as Zappa's handler gets it."""
    headers = {"Host": host, "X-Forwarded-Proto": "https", "X-Forwarded-Port": "443", "Accept": "application/json"} | (
        headers or {}
    )
    if body is not None:
        headers["Content-Type"] = "application/json"
    return {
        "resource": "/{proxy+}",
        "path": path,
        "httpMethod": method,
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": {"proxy": path.lstrip("/")},
        "stageVariables": None,
        "requestContext": {
            "stage": stage,
            "httpMethod": method,
            "path": f"/{stage}{path}",
            "domainName": host,
            "identity": {"sourceIp": "198.51.100.7"},
        },
        "body": json.dumps(body) if body is not None else None,
        "isBase64Encoded": False,
    }
