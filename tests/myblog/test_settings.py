"""Production mode (DJANGO_ENV=production) starts only with its configuration, and then safely.

Each case runs ``manage.py`` in a fresh process with a controlled environment, because settings
are read once at import and the test process already runs on the local defaults.
"""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIRED = ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "MEDIA_BUCKET"]


@pytest.fixture
def production_env(tmp_path: Path) -> dict[str, str]:
    """Everything production mode needs, and nothing inherited from the developer's shell."""
    return {
        "PATH": os.environ["PATH"],
        "DJANGO_ENV": "production",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "blog.example.com,abc123.execute-api.us-east-1.amazonaws.com",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "MEDIA_BUCKET": "myblog-production-media",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=60
    )


@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
@pytest.mark.parametrize("name", REQUIRED)
def test_production_mode_refuses_to_start_without_a_required_variable(
    production_env: dict[str, str], name: str, value: str | None
) -> None:
    if value is None:
        del production_env[name]
    else:
        production_env[name] = value

    result = manage(production_env, "check")

    assert result.returncode != 0
    # The last line of the traceback is what an operator reads in the Lambda log.
    assert name in result.stderr.strip().splitlines()[-1]
    # The refusal must not leak the secrets that were set.
    if name != "SECRET_KEY":
        assert production_env["SECRET_KEY"] not in result.stdout + result.stderr


def test_production_mode_passes_the_deploy_checks_without_a_warning(production_env: dict[str, str]) -> None:
    result = manage(production_env, "check", "--deploy", "--fail-level", "WARNING")

    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr
    assert "no issues (0 silenced)" in result.stdout
