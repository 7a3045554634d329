"""schemathesis over HTTP against the served app: both OpenAPI schemas, every phase, nothing found.

The app runs as a real server process (gunicorn on a free loopback port, its own SQLite file, the
session's local AWS endpoint), and schemathesis' CLI drives it as an API consumer would: the
examples, coverage, fuzzing and stateful phases, with every check, derandomized (schemathesis'
deterministic generation, which needs no seed), so every machine sends the same requests. The
to-do API is called with a real Cognito access token of the local user pool. The subscribe
throttle is raised for the server (SUBSCRIBE_THROTTLE_RATE): the fuzzer must reach the subscribe
code, not only its 429. tests/fuzz/schemathesis.toml says where a valid request may still be
refused, and why. The server runs with DEBUG on, where Django would answer errors with its HTML
debug pages; test_schemas.py fuzzes both schemas in-process with DEBUG off, and
test_api_contract.py checks the error shape under both.
"""

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CONFIG = Path(__file__).with_name("schemathesis.toml")
PYTHON = sys.executable
# Per operation and phase; chosen so both schemas run in about a minute on two cores.
MAX_EXAMPLES = 30

pytestmark = pytest.mark.slow
PHASES = ("Coverage", "Fuzzing", "Stateful")  # the examples phase has no examples to run: none in the schemas


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_env(aws: str, database: Path, *, debug: bool) -> dict[str, str]:
    return {
        **os.environ,
        "DJANGO_ENV": "local",
        "SERVICE": "all",
        "DEBUG": "true" if debug else "false",
        "DATABASE_URL": f"sqlite:///{database}",
        "DATABASE_REPLICA_URL": "",
        "AWS_ENDPOINT_URL": aws,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "SUBSCRIBE_THROTTLE_RATE": "100000/hour",
    }


def manage(env: dict[str, str], *args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True)


@pytest.fixture
def served_app(local_aws: str, tmp_path: Path) -> Iterator[str]:
    """The whole product served by gunicorn on a loopback port, with the demo content, under
    DEBUG: any error that Django would answer with its HTML debug page shows up."""
    env = server_env(local_aws, tmp_path / "db.sqlite3", debug=True)
    manage(env, "migrate", "--noinput")
    manage(env, "createcachetable")
    manage(env, "seed_demo")
    url = f"http://127.0.0.1:{free_port()}"
    log_path = tmp_path / "server.log"
    log = log_path.open("w")
    server = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "myblog.wsgi:application",
            "--bind",
            url.removeprefix("http://"),
            "--workers",
            "2",
            # Lambda behind API Gateway has no 4 KiB request-line limit; gunicorn's would answer 414.
            "--limit-request-line",
            "0",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                requests.get(f"{url}/healthz", timeout=10)
                break
            except requests.ConnectionError:
                assert time.monotonic() < deadline and server.poll() is None, log_path.read_text()
                time.sleep(0.1)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def schemathesis_run(schema_url: str, workdir: Path, *headers: str) -> str:
    """schemathesis' CLI on one schema; its output, which must report no failure."""
    args = [("-H", header) for header in headers]
    result = subprocess.run(
        [
            str(Path(PYTHON).with_name("schemathesis")),
            f"--config-file={CONFIG}",
            "run",
            schema_url,
            "--phases=examples,coverage,fuzzing,stateful",
            "--checks=all",
            f"--max-examples={MAX_EXAMPLES}",
            "--generation-deterministic",
            "--workers=1",
            "--no-color",
            *[part for pair in args for part in pair],
        ],
        cwd=workdir,  # schemathesis keeps a cache (.schemathesis/) in its working directory
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-20000:] + result.stderr[-2000:]
    return result.stdout


def case_count(output: str) -> int:
    """The number of test cases schemathesis reports ("Test cases: N generated, ...")."""
    match = re.search(r"Test cases:\s+(\d+) generated", output)
    assert match, output[-3000:]
    return int(match.group(1))


def report(capsys: pytest.CaptureFixture[str], name: str, output: str) -> None:
    """Every phase ran (none skipped), and how many cases they sent."""
    for phase in PHASES:
        assert re.search(rf"✅  {phase} \(in ", output), output[:3000]
    cases = case_count(output)
    with capsys.disabled():  # shown in `make test`'s output, pass or fail
        print(f"\nschemathesis over HTTP, {name}: {cases} test cases, no failure")


def test_the_blog_api_keeps_its_schema_under_schemathesis_over_http(served_app, tmp_path, capsys):
    output = schemathesis_run(f"{served_app}/api/schema/", tmp_path)
    report(capsys, "blog schema", output)


def test_the_todo_api_keeps_its_schema_under_schemathesis_over_http(served_app, tmp_path, capsys, alice):
    output = schemathesis_run(
        f"{served_app}/api/todos/schema/", tmp_path, f"Authorization: Bearer {alice.access_token}"
    )
    report(capsys, "to-do schema", output)
