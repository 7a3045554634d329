"""Cold start: a fresh process to the first response through Zappa's Lambda handler.

    python -m benchmarks.cold_start [--runs 15]

Two sides, the same interpreter (this virtualenv's) and the same entry point,
`zappa.handler.lambda_handler`, fed an API Gateway REST (payload 1.0) event:

  blog    GET /api/blog/posts/ with the settings module Zappa generates for the blog_production
          stage and the blog's production settings (benchmarks/blog_site.py: SQLite, migrated and
          seeded beforehand; the local moto endpoint, which the request does not call)
  hello   GET /hello/ of a bare Django project (one view; no apps, middleware or database) through
          the same generated Zappa settings, with DJANGO_SETTINGS pointing at it

Each run is a new process: the time runs from spawning it until it writes the first response
(so it counts the interpreter's start, every import, Django's setup and the request). The sides
alternate run by run, so both see the same machine load; the figure is median(blog) /
median(hello). One extra process per side runs with `python -X importtime`, and the top of its
list (cumulative time of each top-level import) shows where the import time goes.

What this leaves out, on both sides: the Lambda runtime's own start, the remote_env read from
S3 (secrets are passed in the generated settings instead), and byte-code compilation (this
virtualenv has its __pycache__; the zip has none, so on Lambda a cold start also compiles).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.blog_site import HOST, STAGE, prepare_blog, write_hello_project
from benchmarks.common import (
    RESULTS_DIR,
    ROOT,
    apigw_event,
    aws_environment,
    base_environment,
    machine,
    start_moto,
    write_results,
    zappa_settings_text,
)

RESULTS = RESULTS_DIR / "cold_start.json"
TARGET = 1.15  # blog / hello, at most
MARKER = "FIRST-RESPONSE "

CHILD = """
import json, sys
from zappa.handler import lambda_handler
answer = lambda_handler(json.loads({event!r}), None)
sys.stdout.write("FIRST-RESPONSE " + json.dumps({{"status": answer["statusCode"], "bytes": len(answer.get("body") or "")}}) + "\\n")
sys.stdout.flush()
"""


def app_folder(folder: Path, generated: str, django_settings: str, variables: dict[str, str]) -> Path:
    """A folder laid out as the Lambda task root: zappa_settings.py (+ the hello project)."""
    folder.mkdir(parents=True, exist_ok=True)
    overrides = (
        "\n# benchmarks/cold_start.py: secrets passed here instead of the remote_env file on S3\n"
        f"DJANGO_SETTINGS = {django_settings!r}\n"
        f"ENVIRONMENT_VARIABLES = {variables!r}\n"
        "REMOTE_ENV = None\n"
    )
    (folder / "zappa_settings.py").write_text(generated + overrides)
    return folder


def run_once(
    app: Path, path: str, process_env: dict[str, str], importtime: bool = False
) -> tuple[float, dict[str, Any], str]:
    code = CHILD.format(event=json.dumps(apigw_event(path, host=HOST, stage=STAGE)))
    command = [sys.executable, *(["-X", "importtime"] if importtime else []), "-c", code]
    # stderr to a file: a -X importtime log would fill a pipe that nobody reads until the end.
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        child = subprocess.Popen(  # noqa: S603 - this interpreter, a fixed script
            command,
            cwd=app,
            env={**process_env, "PYTHONPATH": f"{app}{os.pathsep}{ROOT}"},
            stdout=subprocess.PIPE,
            stderr=errors,
            text=True,
        )
        line = ""
        assert child.stdout is not None
        for line in child.stdout:  # anything the handler prints comes first
            if line.startswith(MARKER):
                break
        elapsed = time.perf_counter() - start
        child.communicate()
        errors.seek(0)
        stderr = errors.read()
    if child.returncode != 0 or not line.startswith(MARKER):
        sys.exit(f"the cold start of {path} failed (exit {child.returncode}):\n{stderr[-3000:]}")
    answer = json.loads(line.removeprefix(MARKER))
    if answer["status"] != 200:
        sys.exit(f"{path} answered {answer['status']}:\n{stderr[-3000:]}")
    return elapsed, answer, stderr


IMPORT_LINE = re.compile(r"^import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)")


def import_times(stderr: str, top_level_only: bool = True) -> list[tuple[str, int, int]]:
    """(module, self us, cumulative us) of each (top-level) import of a `-X importtime` log."""
    found = []
    for line in stderr.splitlines():
        match = IMPORT_LINE.match(line)
        if match and (len(match[3]) == 1 or not top_level_only):  # one space: imported by the program
            found.append((match[4], int(match[1]), int(match[2])))
    return found


def top_imports(stderr: str, top: int) -> dict[str, Any]:
    entries = import_times(stderr)
    total = sum(cumulative for _, _, cumulative in entries)
    ordered = sorted(entries, key=lambda entry: -entry[2])[:top]
    # Self time summed per distribution-level package: which libraries the time is spent in.
    per_package: dict[str, int] = {}
    for name, own, _ in import_times(stderr, top_level_only=False):
        per_package[name.split(".")[0]] = per_package.get(name.split(".")[0], 0) + own
    packages = sorted(per_package.items(), key=lambda item: -item[1])[:top]
    return {
        "total_top_level_ms": total / 1000,
        "top": [{"module": name, "cumulative_ms": cum / 1000, "self_ms": own / 1000} for name, own, cum in ordered],
        "top_packages_self_ms": {name: own / 1000 for name, own in packages},
    }


def summary(times: list[float]) -> dict[str, Any]:
    return {
        "median_s": statistics.median(times),
        "best_s": min(times),
        "worst_s": max(times),
        "runs": len(times),
        "times_s": times,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="fresh processes per side")
    parser.add_argument("--top", type=int, default=15, help="how many imports to list")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)

    import django

    host_machine = machine(django=django.get_version())
    server, endpoint = start_moto()
    try:
        os.environ.update(aws_environment(endpoint))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print("preparing: migrate, collectstatic, seed posts ...", flush=True)
            blog_env = prepare_blog(folder, endpoint)
            generated = zappa_settings_text(STAGE)
            blog_app = app_folder(folder / "blog", generated, "myblog.settings", blog_env)
            hello_app = app_folder(
                write_hello_project(folder / "hello"), generated, "hello_settings", {"LOG_LEVEL": "WARNING"}
            )
            # The process's own environment is what Lambda gives every function: no project variables.
            process_env = {**base_environment(), **aws_environment(endpoint), "PYTHONDONTWRITEBYTECODE": "1"}
            sides = {"blog": (blog_app, "/api/blog/posts/"), "hello": (hello_app, "/hello/")}

            answers = {name: run_once(app, path, process_env)[1] for name, (app, path) in sides.items()}  # warm-up
            times: dict[str, list[float]] = {name: [] for name in sides}
            for i in range(args.runs):
                order = list(sides) if i % 2 == 0 else list(reversed(sides))
                for name in order:
                    app, path = sides[name]
                    times[name].append(run_once(app, path, process_env)[0])
                print(f"  run {i + 1}/{args.runs}: " + "  ".join(f"{n} {times[n][-1] * 1000:.0f} ms" for n in sides))
            imports = {
                name: top_imports(run_once(app, path, process_env, importtime=True)[2], args.top)
                for name, (app, path) in sides.items()
            }
    finally:
        server.stop()

    results = {name: summary(values) for name, values in times.items()}
    ratio = results["blog"]["median_s"] / results["hello"]["median_s"]
    met = ratio <= TARGET
    print(f"\n{'side':<6} {'median ms':>10} {'best ms':>8} {'worst ms':>9}  first response")
    for name, figures in results.items():
        print(
            f"{name:<6} {figures['median_s'] * 1000:>10.0f} {figures['best_s'] * 1000:>8.0f}"
            f" {figures['worst_s'] * 1000:>9.0f}  {answers[name]['status']}, {answers[name]['bytes']} bytes"
        )
    for name, found in imports.items():
        print(
            f"\n-X importtime, {name}: top-level imports by cumulative time (sum {found['total_top_level_ms']:.0f} ms)"
        )
        for entry in found["top"]:
            print(f"  {entry['cumulative_ms']:>8.1f} ms  {entry['module']}")
        print(
            "  by package (self time of all its modules): "
            + ", ".join(f"{name} {ms:.0f} ms" for name, ms in found["top_packages_self_ms"].items())
        )
    print(f"\n{'met' if met else 'NOT met'}: cold start blog/hello {ratio:.2f}x (target <= {TARGET}x)")

    write_results(
        args.output,
        {
            "benchmark": "cold_start",
            "machine": host_machine,
            "figures": {
                "blog_median_ms": results["blog"]["median_s"] * 1000,
                "hello_median_ms": results["hello"]["median_s"] * 1000,
                "blog_minus_hello_median_ms": (results["blog"]["median_s"] - results["hello"]["median_s"]) * 1000,
                "sides": results,
                "first_responses": answers,
                "importtime_top": imports,
            },
            "ratio": ratio,
            "target": TARGET,
            "target_reads": "blog/hello median time from a new process to the first response, at most",
            "checks": [
                {"name": "cold start blog/hello", "ratio": ratio, "target": TARGET, "better": "lower", "met": met}
            ],
            "met": met,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
