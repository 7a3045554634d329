"""A stage's remote_env file (its secrets and operator choices), and commands run in its environment.

    python -m infra.remote_env upload STAGE FILE      # FILE: a JSON object of strings
    python -m infra.remote_env set STAGE NAME=VALUE   # change one variable of the uploaded file
    python -m infra.remote_env run STAGE -- COMMAND   # e.g. python manage.py collectstatic --noinput

``upload`` puts FILE where the stage's ``remote_env`` setting points (s3://<project>-<env>-config/
<service>/environment.json, a bucket of storage.yaml), after checking it is what Zappa's handler
can load: a JSON object whose values are strings. ``run`` runs COMMAND with the environment the
stage's function gets (the ``environment_variables`` of zappa_settings.json, then the remote_env
file on top, as Zappa's handler loads it), so a management command such as collectstatic sees
the production settings of that stage. boto3 finds credentials and the endpoint as usual.
"""

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from infra.cli import aws_failures_reported
from infra.zappa_stages import stage_config


def _location(config: dict[str, Any]) -> tuple[str, str]:
    location = urlsplit(config["remote_env"])
    return location.netloc, location.path.lstrip("/")


def read_file(path: Path) -> dict[str, str]:
    try:
        values = json.loads(path.read_text())
    except OSError as exc:
        raise SystemExit(f"{path}: {exc.strerror}") from exc
    except ValueError as exc:  # not JSON, or not UTF-8
        raise SystemExit(f"{path}: not JSON ({exc}); expected a JSON object of strings") from exc
    if not isinstance(values, dict) or not all(isinstance(v, str) for v in values.values()):
        raise SystemExit(f"{path}: expected a JSON object of strings (Zappa sets each as an environment variable)")
    return values


def upload(stage: str, path: Path, s3: Any) -> str:
    bucket, key = _location(stage_config(stage))
    body = json.dumps(read_file(path), indent=2).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def _uploaded(stage: str, bucket: str, key: str, s3: Any) -> dict[str, str]:
    try:
        body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except (s3.exceptions.NoSuchKey, s3.exceptions.NoSuchBucket) as exc:
        raise SystemExit(
            f"{stage}: no remote_env file at s3://{bucket}/{key} ({exc.response['Error']['Code']}): "
            f"upload one first (python -m infra.remote_env upload {stage} FILE; the bucket is storage.yaml's)"
        ) from exc
    return dict(json.loads(body))


def set_values(stage: str, values: dict[str, str], s3: Any) -> str:
    """Change some variables of the uploaded file; new instances of the function see them."""
    bucket, key = _location(stage_config(stage))
    current = _uploaded(stage, bucket, key, s3)
    body = json.dumps(current | values, indent=2).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
    return f"s3://{bucket}/{key}"


def environment(stage: str, s3: Any) -> dict[str, str]:
    """What the stage's function finds in os.environ (besides what Lambda itself sets)."""
    config = stage_config(stage)
    bucket, key = _location(config)
    remote = _uploaded(stage, bucket, key, s3)
    return {**config.get("environment_variables", {}), **{name: str(value) for name, value in remote.items()}}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", required=True)
    up = actions.add_parser("upload", help="put a JSON file as the stage's remote_env")
    up.add_argument("stage")
    up.add_argument("file", type=Path)
    change = actions.add_parser("set", help="change variables of the stage's uploaded remote_env")
    change.add_argument("stage")
    change.add_argument("values", nargs="+", metavar="NAME=VALUE")
    run = actions.add_parser("run", help="run a command with the stage's environment")
    run.add_argument("stage")
    run.add_argument("command", nargs=argparse.REMAINDER, help="after --")
    args = parser.parse_args(argv)
    values = dict(value.split("=", 1) for value in args.values if "=" in value) if args.action == "set" else {}
    if args.action == "set" and (len(values) != len(args.values) or "" in values):
        parser.error("set takes NAME=VALUE pairs")
    command = args.command[1:] if args.action == "run" and args.command[:1] == ["--"] else getattr(args, "command", [])
    if args.action == "run" and not command:
        parser.error("run needs a command after --")
    import boto3

    with aws_failures_reported():
        s3 = boto3.client("s3", region_name=stage_config(args.stage).get("aws_region"))
        if args.action == "upload":
            print(f"{args.stage}: remote_env uploaded to {upload(args.stage, args.file, s3)}")
            return 0
        if args.action == "set":
            print(f"{args.stage}: {', '.join(values)} set in {set_values(args.stage, values, s3)}")
            return 0
        env = {**os.environ, **environment(args.stage, s3)}
    try:
        # The operator's own command, run as given (like `env NAME=value command`).
        return subprocess.run(command, env=env, check=False).returncode  # noqa: S603
    except OSError as exc:  # not found, not executable
        raise SystemExit(f"{command[0]}: {exc.strerror}") from exc


if __name__ == "__main__":
    sys.exit(main())
