"""Cold start as Lambda sees it: the unpacked `make package` zips, started with `python -I` (3.13).

    python -m benchmarks.cold_start [--runs 9] [--restores 9]

What runs is what Lambda loads: the production stages' zips built by infra.packaging (cp313 wheels,
and byte code for every module as unchecked hash-based .pyc files, infra/packaging/bytecode.py),
unpacked into a task root, started with this interpreter (CPython 3.13, as the python3.13 runtime)
as `python -I -S -B`: no site-packages, no environment-driven paths, no byte code written (the task
root is read-only on Lambda). sys.path is
the task root, then a runtime folder with `snapshot_restore_py` (the Lambda runtime provides it),
then the standard library. The entry point is the zip's `handler.lambda_handler` (Zappa's), fed an
API Gateway REST (payload 1.0) event. Secrets and the stage's variables are passed in the zip's
zappa_settings.py instead of the remote_env file on S3; AWS is the local moto endpoint.

  blog    GET /api/blog/posts/ (blog_production's zip; SQLite migrated and seeded beforehand)
  todo    GET /api/todos/ with a Cognito access token (todo_production's zip; local user pool,
          table and bucket of infra/; the key set is fetched from the local endpoint)
  hello   GET /hello/ of a bare Django project (one settings/urls module, one view, no apps, no
          middleware, no database) in the same unpacked zip, through the same Zappa handler; its two
          modules compiled as the package compiles its own, so all three sides start from byte code

Without SnapStart: each run is a new process, timed from spawning it to its first response (the
interpreter's start, every import and compilation, Django's setup, the request). The three sides
alternate run by run, so they share the machine's load; the figures are median(service) /
median(hello), target <= 1.15.

With SnapStart: one process per service starts as a SnapStart function's init does
(INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT=1: Django loads when the handler is imported), runs the
before-snapshot hooks myblog.snapstart registered, then forks once per simulated restore; each
child runs the after-restore hooks, answers the first request, then the same request warm. The
figure is median(first request after restore) / median(warm request), target <= 1.1; the hooks'
own time is reported beside it (Lambda counts it in the restore). A fork is a kinder restore than
Firecracker's, which pages memory in from the snapshot cache on first touch.

Results go to benchmarks/results/cold_start.json.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import py_compile
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

from benchmarks.blog_site import HOST as BLOG_HOST
from benchmarks.blog_site import prepare_blog, write_hello_project
from benchmarks.common import (
    RESULTS_DIR,
    apigw_event,
    aws_environment,
    base_environment,
    machine,
    start_moto,
    write_results,
)
from benchmarks.todo_read import HOST as TODO_HOST
from benchmarks.todo_read import sign_in, todo_stage_environment

RESULTS = RESULTS_DIR / "cold_start.json"
COLD_TARGET = 1.15  # service / hello, first response of a new process, at most
RESTORE_TARGET = 1.1  # first request after a restore / warm request of the same URL, at most
MARKER = "BENCH-RESULT "
STAGES = {"blog": "blog_production", "todo": "todo_production"}

# Lambda's bootstrap, reduced: the task root and the runtime's folder first on sys.path, the
# handler module imported (the init phase), then the first event.
COLD_CHILD = """
import json, os, sys
root, runtime = sys.argv[1], sys.argv[2]
sys.path[:0] = [root, runtime]
os.chdir(root)
import handler
answer = handler.lambda_handler(json.loads(sys.argv[3]), None)
body = answer.get("body") or ""
result = {"status": answer["statusCode"], "bytes": len(body), **({"body": body[:2000]} if answer["statusCode"] != 200 else {})}
print("BENCH-RESULT " + json.dumps(result), flush=True)
"""

# A SnapStart function: init (Django loads on import), the before-snapshot hooks, then each fork
# is one restore: the after-restore hooks, the first request, then warm requests of the same URL.
SNAPSTART_CHILD = """
import json, os, statistics, sys, time
root, runtime = sys.argv[1], sys.argv[2]
event, restores, warm = json.loads(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
sys.path[:0] = [root, runtime]
os.chdir(root)
started = time.perf_counter()
import handler
init_s = time.perf_counter() - started
import snapshot_restore_py as hooks
assert handler.global_handler is not None, "INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT did not load Django on import"
started = time.perf_counter()
for hook, args, kwargs in reversed(hooks.get_before_snapshot()):
    hook(*args, **kwargs)
before_s = time.perf_counter() - started
copies = []
for _ in range(restores):
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read)
        started = time.perf_counter()
        for hook, args, kwargs in hooks.get_after_restore():
            hook(*args, **kwargs)
        after_s = time.perf_counter() - started
        profiler, loaded = None, set(sys.modules)
        if os.environ.get("BENCH_PROFILE"):  # --profile: where the first request after a restore goes
            import cProfile
            profiler = cProfile.Profile()
            profiler.enable()
        started = time.perf_counter()
        answer = handler.lambda_handler(event, None)
        first_s = time.perf_counter() - started
        if profiler:
            import pstats
            profiler.disable()
            pstats.Stats(profiler, stream=sys.stderr).sort_stats("cumulative").print_stats(30)
        imported = sorted(set(sys.modules) - loaded - {"cProfile", "_lsprof", "profile", "pstats"})
        statuses, times = [answer["statusCode"]], []
        for _ in range(warm):
            started = time.perf_counter()
            statuses.append(handler.lambda_handler(event, None)["statusCode"])
            times.append(time.perf_counter() - started)
        renders = []  # the same URL with a query string of its own each time: no kept page answers it
        for n in range(warm):
            busted = dict(event, queryStringParameters={"n": str(n)}, multiValueQueryStringParameters={"n": [str(n)]})
            started = time.perf_counter()
            statuses.append(handler.lambda_handler(busted, None)["statusCode"])
            renders.append(time.perf_counter() - started)
        with os.fdopen(write, "w") as out:
            json.dump({"after_restore_s": after_s, "first_s": first_s, "warm_median_s": statistics.median(times),
                       "warm_uncached_median_s": statistics.median(renders),
                       "statuses": sorted(set(statuses)), "imported_by_first_request": imported}, out)
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        copies.append(json.load(pipe))
    os.waitpid(pid, 0)
print("BENCH-RESULT " + json.dumps({"init_s": init_s, "before_snapshot_s": before_s,
                                    "hooks": [len(hooks.get_before_snapshot()), len(hooks.get_after_restore())],
                                    "copies": copies}), flush=True)
"""


def task_root(zip_path: Path, folder: Path, django_settings: str, variables: dict[str, str]) -> Path:
    """The zip unpacked as Lambda's /var/task, its zappa_settings.py given the stage's variables."""
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(folder)
    settings_py = folder / "zappa_settings.py"
    settings_py.write_text(
        settings_py.read_text()
        + "\n# benchmarks/cold_start.py: the variables and secrets here instead of the remote_env file on S3\n"
        + f"DJANGO_SETTINGS = {django_settings!r}\n"
        + f"ENVIRONMENT_VARIABLES = {variables!r}\n"
        + "REMOTE_ENV = None\n"
    )
    # The zip's .pyc of this module never reads the source (unchecked hash): the edit needs a new one.
    compile_as_the_package(settings_py)
    return folder


def compile_as_the_package(*sources: Path) -> None:
    """Byte code for modules written into a task root, as infra.packaging compiles the zip's own."""
    for source in sources:
        py_compile.compile(
            str(source), doraise=True, optimize=0, invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH
        )


def run_child(
    code: str, args: list[str], env: dict[str, str], importtime: bool = False
) -> tuple[float, dict[str, Any], str]:
    """Start `python -I -S -B` (Lambda's view: no site-packages, no byte code written); the time
    from spawning it to its result line, the result and its standard error."""
    command = [sys.executable, "-I", "-S", "-B", *(["-X", "importtime"] if importtime else []), "-c", code, *args]
    with tempfile.TemporaryFile("w+") as errors:  # a -X importtime log would fill an unread pipe
        started = time.perf_counter()
        child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors, text=True)  # noqa: S603
        line = ""
        assert child.stdout is not None
        for line in child.stdout:  # whatever the application prints comes first
            if line.startswith(MARKER):
                break
        elapsed = time.perf_counter() - started
        child.communicate()
        errors.seek(0)
        stderr = errors.read()
    if child.returncode != 0 or not line.startswith(MARKER):
        sys.exit(f"the child failed (exit {child.returncode}):\n{stderr[-4000:]}")
    return elapsed, json.loads(line.removeprefix(MARKER)), stderr


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
    per_package: dict[str, int] = {}  # self time summed per top-level package: where the time goes
    for name, own, _ in import_times(stderr, top_level_only=False):
        per_package[name.split(".")[0]] = per_package.get(name.split(".")[0], 0) + own
    return {
        "total_self_ms": sum(per_package.values()) / 1000,
        "top": [
            {"module": name, "cumulative_ms": cum / 1000}
            for name, _, cum in sorted(entries, key=lambda entry: -entry[2])[:top]
        ],
        "top_packages_self_ms": {
            name: own / 1000 for name, own in sorted(per_package.items(), key=lambda item: -item[1])[:top]
        },
    }


def summary(times: list[float]) -> dict[str, Any]:
    return {"median_ms": statistics.median(times) * 1000, "best_ms": min(times) * 1000, "runs": len(times)}


def build_packages(folder: Path) -> dict[str, Path]:
    """The production stages' zips, built as `make package` builds them."""
    from infra.packaging.config import PYTHON_VERSION
    from infra.packaging.pipeline import build

    running = f"{sys.version_info[0]}.{sys.version_info[1]}"
    if running != PYTHON_VERSION:
        sys.exit(f"run the benchmark with Python {PYTHON_VERSION}, the runtime's version (this is {running})")
    results = build(list(STAGES.values()), out_dir=folder)
    failed = [r.stage for r in results if r.problems]
    if failed:
        sys.exit(f"the packages of {', '.join(failed)} do not pass the ELF check")
    return {service: folder / f"{stage}.zip" for service, stage in STAGES.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="new processes per side without SnapStart")
    parser.add_argument("--restores", type=int, default=9, help="simulated restores per service with SnapStart")
    parser.add_argument("--warm", type=int, default=20, help="warm requests after each restore")
    parser.add_argument("--top", type=int, default=12, help="how many imports to list")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument("--profile", action="store_true", help="print a profile of each first request after a restore")
    args = parser.parse_args(argv)
    if min(args.runs, args.restores, args.warm) < 1:
        parser.error("--runs, --restores and --warm need at least 1")

    import django

    host_machine = machine(django=django.get_version())
    server, endpoint = start_moto()
    try:
        os.environ.update(aws_environment(endpoint))
        with tempfile.TemporaryDirectory() as tmp:
            folder = Path(tmp)
            print("building the production packages (make package) ...", flush=True)
            zips = build_packages(folder / "build")
            print(
                "preparing: migrate, collectstatic, seed posts; the local user pool, table and bucket ...", flush=True
            )
            blog_variables = prepare_blog(folder, endpoint)
            aws = sign_in(endpoint)
            todo_variables = todo_stage_environment(endpoint, aws, folder)
            roots = {
                "blog": task_root(zips["blog"], folder / "blog", "myblog.settings", blog_variables),
                "todo": task_root(zips["todo"], folder / "todo", "myblog.settings", todo_variables),
                "hello": task_root(zips["blog"], folder / "hello", "hello_settings", {"LOG_LEVEL": "WARNING"}),
            }
            write_hello_project(roots["hello"])
            compile_as_the_package(roots["hello"] / "hello_settings.py", roots["hello"] / "hello_wsgi.py")
            missing = [
                str(source)
                for root in roots.values()
                for source in root.rglob("*.py")
                if not Path(importlib.util.cache_from_source(str(source), optimization="")).exists()
            ]
            if missing:  # every side starts from byte code, or the ratio is not fair
                sys.exit(f"modules without byte code in the task roots: {missing[:10]}")
            runtime = folder / "runtime"  # /var/runtime: the runtime's own modules
            runtime.mkdir()
            import snapshot_restore_py

            shutil.copy2(snapshot_restore_py.__file__, runtime / "snapshot_restore_py.py")
            compile_as_the_package(runtime / "snapshot_restore_py.py")  # the runtime's own modules are compiled
            events = {
                # Through CloudFront, which proves itself with the origin secret (when the blog checks one).
                "blog": apigw_event(
                    "/api/blog/posts/",
                    host=BLOG_HOST,
                    stage=STAGES["blog"],
                    headers={"X-Origin-Verify": blog_variables.get("CDN_ORIGIN_SECRET", "")},
                ),
                "todo": apigw_event(
                    "/api/todos/",
                    host=TODO_HOST,
                    stage=STAGES["todo"],
                    headers={"Authorization": f"Bearer {aws['token']}"},
                ),
                "hello": apigw_event("/hello/", host=BLOG_HOST, stage=STAGES["blog"]),
            }
            # What Lambda sets for every function (no project variables: those are in zappa_settings.py).
            lambda_env = {
                **base_environment(),
                **aws_environment(endpoint),
                "AWS_REGION": "us-east-1",
                "LAMBDA_TASK_ROOT": "",
                "AWS_LAMBDA_FUNCTION_NAME": "",
            }

            def env_of(side: str, **extra: str) -> dict[str, str]:
                name = f"myblog-{STAGES.get(side, 'blog_production').replace('_', '-')}"
                return {**lambda_env, "LAMBDA_TASK_ROOT": str(roots[side]), "AWS_LAMBDA_FUNCTION_NAME": name, **extra}

            def cold(side: str, importtime: bool = False) -> tuple[float, dict[str, Any], str]:
                cold_args = [str(roots[side]), str(runtime), json.dumps(events[side])]
                return run_child(COLD_CHILD, cold_args, env_of(side), importtime)

            answers = {}
            for side in roots:  # a first run of each: the page cache warm
                _, answers[side], stderr = cold(side)
                if answers[side]["status"] != 200:
                    sys.exit(
                        f"{side} answered {answers[side]['status']}: {answers[side].get('body')}\n{stderr[-4000:]}"
                    )
            times: dict[str, list[float]] = {side: [] for side in roots}
            for i in range(args.runs):
                order = list(roots) if i % 2 == 0 else list(reversed(roots))
                for side in order:
                    times[side].append(cold(side)[0])
                print(
                    f"  cold run {i + 1}/{args.runs}: " + "  ".join(f"{s} {times[s][-1] * 1000:.0f} ms" for s in roots)
                )
            imports = {side: top_imports(cold(side, importtime=True)[2], args.top) for side in roots}

            snapstart: dict[str, Any] = {}
            for service in STAGES:
                snap_args = [str(roots[service]), str(runtime), json.dumps(events[service])]
                snap_args += [str(args.restores), str(args.warm)]
                env = env_of(
                    service,
                    INSTANTIATE_LAMBDA_HANDLER_ON_IMPORT="1",
                    **({"BENCH_PROFILE": "1"} if args.profile else {}),
                )
                _, snapstart[service], stderr = run_child(SNAPSTART_CHILD, snap_args, env)
                if args.profile:
                    print(stderr[-12000:])
                print(f"  snapstart {service}: {len(snapstart[service]['copies'])} restores", flush=True)
    finally:
        server.stop()

    cold_results = {side: summary(values) for side, values in times.items()}
    checks = []
    print(f"\nWithout SnapStart: a new process to its first response (python -I, {host_machine['python']})")
    for side, figures in cold_results.items():
        print(f"  {side:<6} median {figures['median_ms']:>6.0f} ms  best {figures['best_ms']:>6.0f} ms")
    for service in STAGES:
        ratio = cold_results[service]["median_ms"] / cold_results["hello"]["median_ms"]
        checks.append({"name": f"cold start {service}/hello", "ratio": ratio, "target": COLD_TARGET, "better": "lower"})
    restore_results = {}
    print("\nWith SnapStart: the first request after a simulated restore against a warm request of the same URL")
    for service, found in snapstart.items():
        copies = found["copies"]
        assert all(copy["statuses"] == [200] for copy in copies), copies
        first = statistics.median(copy["first_s"] for copy in copies)
        warm = statistics.median(copy["warm_median_s"] for copy in copies)
        hooks = statistics.median(copy["after_restore_s"] for copy in copies)
        uncached = statistics.median(copy["warm_uncached_median_s"] for copy in copies)
        restore_results[service] = {
            "init_ms": found["init_s"] * 1000,
            "before_snapshot_hooks_ms": found["before_snapshot_s"] * 1000,
            "after_restore_hooks_median_ms": hooks * 1000,
            "first_request_median_ms": first * 1000,
            "warm_request_median_ms": warm * 1000,
            "warm_uncached_request_median_ms": uncached * 1000,
            "first_over_warm_uncached": first / uncached,
            "restores": len(copies),
            "imported_by_first_request": sorted({m for copy in copies for m in copy["imported_by_first_request"]}),
        }
        print(
            f"  {service:<6} init {found['init_s'] * 1000:.0f} ms, before-snapshot hooks "
            f"{found['before_snapshot_s'] * 1000:.0f} ms; after each restore: hooks {hooks * 1000:.1f} ms, "
            f"first request {first * 1000:.1f} ms, warm {warm * 1000:.1f} ms "
            f"(warm with a query string no kept page answers: {uncached * 1000:.1f} ms)"
        )
        print(f"         modules the first request imported: {restore_results[service]['imported_by_first_request']}")
        checks.append(
            {
                "name": f"after restore {service} first/warm",
                "ratio": first / warm,
                "target": RESTORE_TARGET,
                "better": "lower",
            }
        )
    for side, found in imports.items():
        print(f"\n-X importtime, {side}: self time {found['total_self_ms']:.0f} ms; by package: ", end="")
        print(", ".join(f"{name} {ms:.0f}" for name, ms in list(found["top_packages_self_ms"].items())[:8]))
    print()
    for check in checks:
        check["met"] = check["ratio"] <= check["target"]
        verdict = "met" if check["met"] else "NOT met"
        print(f"{verdict}: {check['name']} {check['ratio']:.2f}x (target <= {check['target']}x)")

    write_results(
        args.output,
        {
            "benchmark": "cold_start",
            "machine": host_machine,
            "byte_code_in_task_root": "every module, from the zip (hello's two modules compiled the same way)",
            "figures": {
                "cold": cold_results,
                "cold_times_ms": {side: [t * 1000 for t in values] for side, values in times.items()},
                "first_responses": answers,
                "snapstart": restore_results,
                "snapstart_copies": {service: found["copies"] for service, found in snapstart.items()},
                "importtime": imports,
            },
            "target_reads": (
                "cold: median time from a new process (python -I, the unpacked zip) to the first response, "
                "service/hello, at most 1.15; after restore: first request / warm request of the same URL, at most 1.1"
            ),
            "checks": checks,
            "met": all(check["met"] for check in checks),
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
