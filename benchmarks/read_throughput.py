"""Cached public reads under gunicorn (one sync worker), driven by wrk on loopback.

    python -m benchmarks.read_throughput [--rounds 5] [--duration 3]

Two gunicorn servers run side by side, each with one sync worker: the blog with its production
settings (benchmarks/blog_site.py: SQLite, migrated, static files collected, posts seeded) and a
bare Django hello-world (one view, no apps, no middleware). wrk (one thread, a few connections)
drives, in turn:

  hello      GET /hello/ of the hello-world project: the reference
  api        GET /api/blog/posts/ (the public list, as a cache or browser fetches it anew)
  api-304    the same with If-None-Match: <its ETag>, answered 304 Not Modified
  html       GET / (the HTML index)

The blog is asked as the CDN asks it (Host: the blog's domain, X-Forwarded-Proto: https, the origin
secret as X-Origin-Verify), so its page cache (myblog/blog/page_cache.py) answers all three blog
targets before the rest of the middleware; a request without the secret is checked to get 403. Each
round runs every target once, in a rotating order, so all of them see the same machine load; the
figure per target is median(requests/s) / median(hello requests/s). Beside it, the CPU time each
gunicorn worker spent per request (its utime + stime from /proc over the run), as hello's over the
target's: what one CPU would serve, which the load of other processes on a shared machine moves
far less than requests/s. Results go to benchmarks/results/read_throughput.json. wrk is the Debian
package `wrk`.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks.blog_site import HOST, ORIGIN_SECRET, prepare_blog, write_hello_project
from benchmarks.common import RESULTS_DIR, ROOT, base_environment, machine, start_moto, write_results

RESULTS = RESULTS_DIR / "read_throughput.json"
# target name -> at least this share of hello-world's requests/s
TARGETS = {"api": 0.8, "api-304": 0.9, "html": 0.8}
BLOG_HEADERS = {
    "Host": HOST,
    "X-Forwarded-Proto": "https",
    "Accept-Encoding": "identity",
    "X-Origin-Verify": ORIGIN_SECRET,
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # production redirects plain http to https: report it, do not follow it


OPENER = urllib.request.build_opener(_NoRedirects)


def get(url: str, headers: dict[str, str]) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 - loopback http only
    try:
        with OPENER.open(request, timeout=10) as answer:
            return answer.status, {k.lower(): v for k, v in answer.headers.items()}, answer.read()
    except urllib.error.HTTPError as error:
        return error.code, {k.lower(): v for k, v in error.headers.items()}, error.read()


def worker_pid(server: subprocess.Popen[bytes]) -> int | None:
    """The pid of the gunicorn master's one worker, once it has forked it."""
    children = Path(f"/proc/{server.pid}/task/{server.pid}/children")
    found = children.read_text().split() if children.exists() else []
    return int(found[0]) if found else None


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/<pid>/stat, fields 14 and 15)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def gunicorn(stack: ExitStack, app: str, folder: Path, env: dict[str, str]) -> tuple[str, int]:
    """The server's base URL and its worker's pid."""
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--workers",
        "1",
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--chdir",
        str(folder),
        "--log-level",
        "warning",
        app,
    ]
    server = subprocess.Popen(command, env={**base_environment(), **env}, stdout=subprocess.DEVNULL)  # noqa: S603
    stack.callback(lambda: (server.terminate(), server.wait(timeout=20)))
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"gunicorn {app} exited with {server.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.2)
            continue
        if (worker := worker_pid(server)) is not None:
            return base, worker
        time.sleep(0.2)
    sys.exit(f"gunicorn {app} did not answer within 60 s")


def wrk(url: str, headers: dict[str, str], duration: int, connections: int, worker: int) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    cpu_before = cpu_seconds(worker)
    done = subprocess.run([*command, url], capture_output=True, text=True, check=False)  # noqa: S603
    cpu = cpu_seconds(worker) - cpu_before
    if done.returncode != 0:
        sys.exit(f"wrk failed: {done.stderr}")
    out = done.stdout
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    requests = re.search(r"(\d+) requests in", out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors:(.*)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    if not rate:
        sys.exit(f"cannot read wrk's output:\n{out}")
    return {
        "requests_per_s": float(rate[1]),
        "requests": int(requests[1]) if requests else None,
        "non_2xx_3xx": int(bad[1]) if bad else 0,
        "socket_errors": errors[1].strip() if errors else None,
        "latency_p50": p50[1] if p50 else None,
        "cpu_us_per_request": cpu / int(requests[1]) * 1e6 if requests and int(requests[1]) else None,
    }


def check_targets(hello: str, blog: str) -> dict[str, tuple[str, dict[str, str], int]]:
    """Each target's URL and headers, after checking it answers what it should."""
    status, _, hello_body = get(hello + "/hello/", {})
    assert status == 200 and hello_body, (status, hello_body)
    status, headers, body = get(blog + "/api/blog/posts/", BLOG_HEADERS)
    if status != 200 or "etag" not in headers:
        sys.exit(f"GET /api/blog/posts/ answered {status} ({headers.get('etag')=}): {body[:500]!r}")
    etag = headers["etag"]
    conditional = {**BLOG_HEADERS, "If-None-Match": etag}
    status_304, _, body_304 = get(blog + "/api/blog/posts/", conditional)
    if status_304 != 304:
        sys.exit(f"GET /api/blog/posts/ with If-None-Match answered {status_304}, not 304")
    direct = {name: value for name, value in BLOG_HEADERS.items() if name != "X-Origin-Verify"}
    status_direct, _, _ = get(blog + "/api/blog/posts/", direct)
    if status_direct != 403:
        sys.exit(f"GET /api/blog/posts/ without the origin secret answered {status_direct}, not 403")
    status_html, _, html = get(blog + "/", BLOG_HEADERS)
    if status_html != 200 or b"<html" not in html.lower():
        sys.exit(f"GET / answered {status_html}: {html[:500]!r}")
    return {
        "hello": (hello + "/hello/", {}, len(hello_body)),
        "api": (blog + "/api/blog/posts/", BLOG_HEADERS, len(body)),
        "api-304": (blog + "/api/blog/posts/", conditional, len(body_304)),
        "html": (blog + "/", BLOG_HEADERS, len(html)),
    }


def require_wrk() -> None:
    if not shutil.which("wrk"):
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian package wrk), or run `make bench` as root")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="runs of wrk per target, interleaved")
    parser.add_argument("--duration", type=int, default=3, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=4, help="wrk connections (one worker serves one)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    require_wrk()
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)  # noqa: S607
    import django

    host_machine = machine(django=django.get_version())

    moto, endpoint = start_moto()
    with ExitStack() as stack, tempfile.TemporaryDirectory() as tmp:
        stack.callback(moto.stop)
        folder = Path(tmp)
        print("preparing: migrate, collectstatic, seed posts ...", flush=True)
        blog_env = prepare_blog(folder, endpoint)
        hello_dir = write_hello_project(folder / "hello")
        blog, blog_worker = gunicorn(stack, "myblog.wsgi:application", ROOT, blog_env)
        hello, hello_worker = gunicorn(stack, "hello_wsgi:application", hello_dir, {"PYTHONPATH": str(hello_dir)})
        targets = check_targets(hello, blog)
        workers = {name: hello_worker if name == "hello" else blog_worker for name in targets}
        for name, (url, headers, _) in targets.items():  # warm-up: every code path loaded, connections made
            wrk(url, headers, 1, args.connections, workers[name])
        runs: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
        names = list(targets)
        for round_ in range(args.rounds):
            order = names[round_ % len(names) :] + names[: round_ % len(names)]
            for name in order:
                url, headers, _ = targets[name]
                runs[name].append(wrk(url, headers, args.duration, args.connections, workers[name]))
            print(
                f"  round {round_ + 1}/{args.rounds}: "
                + "  ".join(f"{n} {runs[n][-1]['requests_per_s']:.0f}/s" for n in names),
                flush=True,
            )

    medians = {name: statistics.median(r["requests_per_s"] for r in found) for name, found in runs.items()}
    ratios = {name: medians[name] / medians["hello"] for name in TARGETS}
    cpu = {name: statistics.median(r["cpu_us_per_request"] for r in found) for name, found in runs.items()}
    cpu_ratios = {name: cpu["hello"] / cpu[name] for name in TARGETS}
    checks = {
        name: {
            "name": f"gunicorn {name} / hello req/s",
            "ratio": ratios[name],
            "target": limit,
            "better": "higher",
            "met": ratios[name] >= limit,
        }
        for name, limit in TARGETS.items()
    }
    bad = {name: sum(r["non_2xx_3xx"] for r in found) for name, found in runs.items()}
    print(
        f"\n{'target':<9} {'median req/s':>13} {'x hello':>8} {'target':>7}  bytes  non-2xx/3xx  CPU/request (hello's/it)"
    )
    for name in names:
        limit = TARGETS.get(name)
        verdict = "" if limit is None else f"{'met' if checks[name]['met'] else 'NOT met'}"
        print(
            f"{name:<9} {medians[name]:>13.0f} {medians[name] / medians['hello']:>8.2f}"
            f" {'' if limit is None else f'>={limit}':>7}  {targets[name][2]:>5}  {bad[name]:>11}"
            f"  {cpu[name]:>5.0f} us ({cpu['hello'] / cpu[name]:.2f})  {verdict}"
        )
    met = all(check["met"] for check in checks.values()) and not any(bad.values())

    write_results(
        args.output,
        {
            "benchmark": "read_throughput",
            "machine": {**host_machine, "wrk": (wrk_version.stdout or wrk_version.stderr).splitlines()[0:1]},
            "setup": {
                "server": "gunicorn, 1 sync worker, each side",
                "wrk": f"1 thread, {args.connections} connections, {args.duration} s per run",
                "rounds": args.rounds,
            },
            "figures": {
                "median_requests_per_s": medians,
                "median_cpu_us_per_request": cpu,
                "response_bytes": {name: target[2] for name, target in targets.items()},
                "non_2xx_3xx": bad,
                "runs": runs,
            },
            "ratio": ratios,
            "cpu_ratio": cpu_ratios,
            "cpu_ratio_reads": "CPU time per request of hello-world's worker over the blog's (not a target)",
            "target": TARGETS,
            "target_reads": "requests/s of each blog read over hello-world's, at least",
            "checks": list(checks.values()),
            "met": met,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
