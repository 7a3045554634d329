"""The TypeScript client (clients/ts/): it compiles under `tsc --strict`, and its Node tests pass
against the served API with a real Cognito token from the local endpoint. `make test` installs its
pinned toolchain (npm ci in clients/ts/); tests/test_sdk.py checks its generated types for drift."""

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.todo.conftest import sign_up_and_in
from todo import cognito, tokens

TS = Path(__file__).resolve().parent.parent / "clients" / "ts"
TSC = TS / "node_modules" / ".bin" / "tsc"


def _run(command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    assert TSC.exists(), "The TypeScript client's toolchain is not installed: run `make test` (npm ci in clients/ts)."
    return subprocess.run(command, cwd=TS, capture_output=True, text=True, timeout=300, check=False, **kwargs)


@pytest.fixture
def compiled() -> Iterator[Path]:
    """The client and its tests compiled to clients/ts/build/ (git-ignored; beside node_modules, which
    the compiled code imports)."""
    shutil.rmtree(TS / "build", ignore_errors=True)
    done = _run([str(TSC), "-p", "."])
    assert done.returncode == 0, done.stdout + done.stderr
    yield TS / "build"
    shutil.rmtree(TS / "build", ignore_errors=True)


@pytest.fixture
def access_token(local_aws) -> Iterator[str]:
    # The endpoint was reset and bootstrapped for this test: pools have new ids and keys.
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()
    idp = boto3.client("cognito-idp", endpoint_url=local_aws, region_name="us-east-1")
    user = sign_up_and_in(
        idp, client_id=cognito.app_client_id(), pool_id=cognito.user_pool_id(), email="ts@example.com"
    )
    yield user.access_token
    cognito.forget_resolved_ids()
    tokens.key_set.cache_clear()


@pytest.mark.slow
def test_the_typescript_client_compiles_under_strict_type_checking():
    done = _run([str(TSC), "-p", ".", "--strict", "--noEmit"])

    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.slow
def test_the_typescript_client_does_crud_paging_conflicts_and_401s_against_the_served_api(
    compiled, live_server, access_token
):
    env = {**os.environ, "TODO_API_URL": live_server.url, "TODO_API_TOKEN": access_token}

    done = _run(["node", "--test", "--test-reporter=spec", str(compiled / "test")], env=env)

    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    # Every test ran (4 offline, 6 against the API) and none failed.
    assert "ℹ pass 10\n" in done.stdout, done.stdout[-3000:]
    assert "ℹ fail 0\n" in done.stdout, done.stdout[-3000:]
