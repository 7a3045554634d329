"""`make sdk`: write the OpenAPI schemas of the blog and the to-do API, then generate a typed
Python client from each with openapi-python-client (offline, deterministic), and the TypeScript
types of the to-do API with openapi-typescript (clients/ts/src/generated/), and its Swift and
Kotlin clients with openapi-generator (clients/swift/, clients/kotlin/; generated, not compiled here).

    .venv/bin/python scripts/generate_sdk.py [--out clients]

Writes <out>/schemas/<name>.yaml and the client projects <out>/<package>/ (pyproject.toml,
README.md and the package). tests/test_sdk.py runs it into a temporary directory and fails when
the result differs from what is checked in under clients/.
"""

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = ROOT / "clients"
# The venv's bin directory: the generator and the ruff it runs as a post hook (pinned versions).
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Sdk:
    name: str
    urlconf: str
    package: str
    custom_settings: str | None = None

    @property
    def config(self) -> Path:
        return CLIENTS / f"{self.package.removesuffix('_client')}.config.yaml"


SDKS = (
    Sdk(name="blog", urlconf="myblog.urls.blog", package="myblog_client"),
    # The same urlconf and settings as the schema served at /api/todos/schema/.
    Sdk(name="todo", urlconf="todo.urls", package="mytodolist_client", custom_settings="todo.urls.SCHEMA_SETTINGS"),
)


def write_schema(sdk: Sdk, path: Path) -> None:
    command = [sys.executable, str(ROOT / "manage.py"), "spectacular", "--urlconf", sdk.urlconf]
    if sdk.custom_settings:
        command += ["--custom-settings", sdk.custom_settings]
    command += ["--file", str(path), "--validate", "--fail-on-warn"]
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)


def generate_client(sdk: Sdk, schema: Path, out: Path) -> None:
    command = [
        str(BIN / "openapi-python-client"),
        "generate",
        "--path",
        str(schema),
        "--config",
        str(sdk.config),
        "--meta",
        "uv",
        "--output-path",
        str(out / sdk.package),
        "--overwrite",
        "--fail-on-warning",
    ]
    env = {**os.environ, "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", "RUFF_NO_CACHE": "true"}
    subprocess.run(command, check=True, cwd=out, env=env, stdout=subprocess.DEVNULL)


# The TypeScript client (clients/ts/): its types come from the to-do schema by openapi-typescript,
# pinned in clients/ts/package-lock.json (`make sdk` runs npm ci there first); the rest is hand-written.
TS_GENERATOR = CLIENTS / "ts" / "node_modules" / ".bin" / "openapi-typescript"
TS_TYPES = Path("ts") / "src" / "generated" / "schema.ts"


def generate_typescript_types(schema: Path, out: Path) -> None:
    if not TS_GENERATOR.exists():
        raise SystemExit(f"{TS_GENERATOR} is missing: run `make sdk` (npm ci in clients/ts).")
    target = out / TS_TYPES
    target.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [str(TS_GENERATOR), str(schema), "--output", str(target)], check=True, cwd=ROOT, stdout=subprocess.DEVNULL
    )


# The Swift and Kotlin clients of the to-do API: openapi-generator, the jar inside the pinned
# openapi-generator-cli wheel run on the machine's Java, one JVM for both clients/<name>.config.yaml.
# No Swift or Kotlin toolchain here: they are generated and drift-checked, never compiled.
MOBILE_SDKS = ("swift", "kotlin")
GENERATOR_IGNORE = ".openapi-generator-ignore"


def generate_mobile_clients(out: Path) -> None:
    """Write <out>/swift/ and <out>/kotlin/ from <out>/schemas/todo.yaml."""
    if not shutil.which("java"):
        raise SystemExit("The Swift and Kotlin clients need Java 11 or later: apt-get install default-jre-headless.")
    for name in MOBILE_SDKS:
        # Start from an empty directory, so code of a model or operation the schema dropped goes too;
        # only the ignore file, written by hand, is kept (read before the directory goes).
        ignore = (CLIENTS / name / GENERATOR_IGNORE).read_text()
        shutil.rmtree(out / name, ignore_errors=True)
        (out / name).mkdir(parents=True)
        (out / name / GENERATOR_IGNORE).write_text(ignore)
    configs = [str(CLIENTS / f"{name}.config.yaml") for name in MOBILE_SDKS]
    command = [str(BIN / "openapi-generator-cli"), "batch", "--fail-fast", "--root-dir", str(out), *configs]
    subprocess.run(command, check=True, cwd=out, stdout=subprocess.DEVNULL)


def generate(out: Path) -> None:
    schemas = out / "schemas"
    schemas.mkdir(parents=True, exist_ok=True)
    for sdk in SDKS:
        schema = schemas / f"{sdk.name}.yaml"
        write_schema(sdk, schema)
        generate_client(sdk, schema, out)
    generate_typescript_types(schemas / "todo.yaml", out)
    generate_mobile_clients(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=CLIENTS, help="where to write (default: clients/)")
    out = parser.parse_args().out.resolve()
    generate(out)
    print(f"Schemas and clients written to {out}")


if __name__ == "__main__":
    main()
