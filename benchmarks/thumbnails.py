"""Thumbnail pipelines compared on one 24-megapixel JPEG, in one run: time and peak memory.

    python -m benchmarks.thumbnails [--runs 5]

Pipelines, each making 320/640/1280 px wide renditions in WebP and JPEG with the same encoder
settings (media.renditions.JPEG_OPTIONS and WEBP_OPTIONS):

  ours           media.renditions.make_renditions
  naive          Pillow: for each width and format, a full decode and a Lanczos resize from full size
  pyvips         pyvips.Image.thumbnail_buffer for each width and format (libvips' operation cache
                 off, so that repeated runs redo the work)
  pyvips-shared  extra reference: one thumbnail_buffer per width, saved in both formats

Each pipeline runs in a fresh subprocess that imports only what it needs; it reports the best of
N wall-clock times and its peak resident set (VmHWM from /proc, which counts the C allocations of
Pillow and libvips that tracemalloc does not see), and the peak above its resident set just before
the work. Results go to the terminal and to benchmarks/results/thumbnails.json. Absolute times
depend on the machine; the ratios, measured in the same run, are what to compare.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from benchmarks.common import RESULTS_DIR, ROOT, load_average, machine, write_results

RESULTS = RESULTS_DIR / "thumbnails.json"
SOURCE_SIZE = (6000, 4000)
SOURCE_QUALITY = 90
PIPELINES = ("ours", "naive", "pyvips", "pyvips-shared")

# Targets: (label, numerator, denominator, measure, limit, how the figure reads)
TARGETS = (
    ("time: ours <= 1.3x pyvips", "ours", "pyvips", "best_s", 1.3, "ours/pyvips"),
    ("peak memory: ours <= 2x pyvips", "ours", "pyvips", "peak_rss_kib", 2.0, "ours/pyvips"),
)
MIN_SPEEDUP_OVER_NAIVE = 4.0


# --- the source image -----------------------------------------------------------------------


def make_source_jpeg(size: tuple[int, int] = SOURCE_SIZE, quality: int = SOURCE_QUALITY) -> bytes:
    """A photo-like JPEG: smooth gradients, coloured shapes with hard edges, and sensor-like
    noise at two scales, so that it compresses like a camera picture (~9 MB at 24 MP, q90)
    rather than like a flat test card."""
    import random

    from PIL import Image, ImageDraw

    width, height = size
    horizontal = Image.linear_gradient("L").rotate(90).resize(size)
    radial = Image.radial_gradient("L").resize(size)
    channels = []
    for base, sigma in ((horizontal, 18), (radial, 14), (horizontal.transpose(Image.Transpose.FLIP_TOP_BOTTOM), 22)):
        blotches = Image.effect_noise((width // 2, height // 2), sigma).resize(size, Image.Resampling.BILINEAR)
        channels.append(Image.blend(base, blotches, 0.35))
    im = Image.merge("RGB", channels)
    draw = ImageDraw.Draw(im)
    shapes = random.Random(24)  # noqa: S311 - reproducible test content, not security
    for _ in range(60):
        x, y, side = shapes.randrange(width), shapes.randrange(height), shapes.randrange(50, 900)
        colour = (shapes.randrange(256), shapes.randrange(256), shapes.randrange(256))
        draw.ellipse((x, y, x + side, y + side * 0.7), fill=colour)
    grain = Image.effect_noise(size, 40).convert("RGB")
    im = Image.blend(im, grain, 0.25)
    buffer = io.BytesIO()
    im.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


# --- pipelines (run in the child) -----------------------------------------------------------

Output = list[tuple[int, int, str, int]]  # width, height, format, bytes


def _ours() -> Callable[[bytes], Output]:
    from media.renditions import make_renditions

    def run(data: bytes) -> Output:
        _, items = make_renditions(io.BytesIO(data))
        return [(r.width, r.height, r.format, len(r.data)) for r in items]

    return run


def _naive() -> Callable[[bytes], Output]:
    from PIL import Image

    from media.renditions import FORMATS, JPEG_OPTIONS, WEBP_OPTIONS, WIDTHS

    def run(data: bytes) -> Output:
        out = []
        for width in WIDTHS:
            for format in FORMATS:
                im = Image.open(io.BytesIO(data))
                im.load()
                height = round(im.height * width / im.width)
                small = im.resize((width, height), Image.Resampling.LANCZOS)
                buffer = io.BytesIO()
                if format == "webp":
                    small.save(buffer, "WEBP", **WEBP_OPTIONS)
                else:
                    small.save(buffer, "JPEG", **JPEG_OPTIONS)
                out.append((width, height, format, buffer.tell()))
        return out

    return run


def _pyvips(shared: bool) -> Callable[[bytes], Output]:
    import pyvips

    from media.renditions import JPEG_OPTIONS, WEBP_OPTIONS, WIDTHS

    # Without this, the second and later runs would be answered from libvips' operation cache.
    pyvips.cache_set_max(0)
    savers = {
        "webp": lambda im: im.webpsave_buffer(Q=WEBP_OPTIONS["quality"], effort=WEBP_OPTIONS["method"], keep="none"),
        "jpeg": lambda im: im.jpegsave_buffer(
            Q=JPEG_OPTIONS["quality"],
            interlace=JPEG_OPTIONS["progressive"],
            optimize_coding=JPEG_OPTIONS["optimize"],
            keep="none",
        ),
    }

    def run(data: bytes) -> Output:
        out = []
        for width in WIDTHS:
            # A thumbnail streams and can be read once: keep it in memory to save it twice.
            thumbnail = pyvips.Image.thumbnail_buffer(data, width, size="down").copy_memory() if shared else None
            for format, save in savers.items():
                im = thumbnail if thumbnail is not None else pyvips.Image.thumbnail_buffer(data, width, size="down")
                out.append((im.width, im.height, format, len(save(im))))
        return out

    return run


def _status_kib(field: str) -> int | None:
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def _reset_peak() -> bool:
    """Reset VmHWM to the current RSS (Linux >= 4.0), so the peak measured is the work's own."""
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")
        return True
    except OSError:
        return False


def child(pipeline: str, source: Path, runs: int) -> dict[str, Any]:
    data = source.read_bytes()
    try:
        if pipeline == "ours":
            run = _ours()
        elif pipeline == "naive":
            run = _naive()
        else:
            run = _pyvips(shared=pipeline == "pyvips-shared")
    except (ImportError, OSError) as exc:  # pyvips without a loadable libvips raises OSError
        return {"available": False, "reason": f"{type(exc).__name__}: {exc}"}
    baseline = _status_kib("VmRSS")
    reset = _reset_peak()
    times, output = [], []
    for _ in range(runs):
        start = time.perf_counter()
        output = run(data)
        times.append(time.perf_counter() - start)
    peak = _status_kib("VmHWM")
    if peak is None:  # not Linux: ru_maxrss is KiB on Linux, bytes on macOS
        import resource

        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        peak = rss // 1024 if sys.platform == "darwin" else rss
    result: dict[str, Any] = {
        "available": True,
        "best_s": min(times),
        "median_s": statistics.median(times),
        "times_s": times,
        "peak_rss_kib": peak,
        "baseline_rss_kib": baseline,
        "work_peak_kib": peak - baseline if (reset and baseline is not None) else None,
        "outputs": output,
        "output_bytes": sum(item[3] for item in output),
    }
    if pipeline.startswith("pyvips"):
        import pyvips

        result["libvips"] = "{}.{}.{}".format(*(pyvips.version(i) for i in range(3)))
    return result


# --- the parent -----------------------------------------------------------------------------


def measure(pipeline: str, source: Path, runs: int) -> dict[str, Any]:
    command = [sys.executable, "-m", "benchmarks.thumbnails", "--child", pipeline, str(source), str(runs)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603 - this module, this interpreter
    if done.returncode != 0:
        return {"available": False, "reason": f"exit {done.returncode}: {done.stderr.strip()[-500:]}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def ratio(results: dict[str, dict[str, Any]], top: str, bottom: str, key: str) -> float | None:
    a, b = results.get(top, {}), results.get(bottom, {})
    if not (a.get("available") and b.get("available")) or not b.get(key):
        return None
    return a[key] / b[key]


def report(results: dict[str, dict[str, Any]]) -> tuple[dict[str, float | None], list[dict[str, Any]]]:
    ratios = {
        "ours/pyvips time": ratio(results, "ours", "pyvips", "best_s"),
        "ours/pyvips peak memory": ratio(results, "ours", "pyvips", "peak_rss_kib"),
        "ours/pyvips work memory": ratio(results, "ours", "pyvips", "work_peak_kib"),
        "naive/ours time (speedup)": ratio(results, "naive", "ours", "best_s"),
        "ours/pyvips-shared time": ratio(results, "ours", "pyvips-shared", "best_s"),
        "ours/pyvips-shared peak memory": ratio(results, "ours", "pyvips-shared", "peak_rss_kib"),
    }
    targets = []
    for label, _top, _bottom, _key, limit, reads in TARGETS:
        figure = ratios["ours/pyvips time" if "time" in label else "ours/pyvips peak memory"]
        targets.append(
            {"target": label, "figure": figure, "reads": reads, "met": figure is not None and figure <= limit}
        )
    speedup = ratios["naive/ours time (speedup)"]
    targets.append(
        {
            "target": f"speed: ours >= {MIN_SPEEDUP_OVER_NAIVE:g}x faster than naive",
            "figure": speedup,
            "reads": "naive/ours",
            "met": speedup is not None and speedup >= MIN_SPEEDUP_OVER_NAIVE,
        }
    )
    return ratios, targets


def print_table(
    results: dict[str, dict[str, Any]], ratios: dict[str, float | None], targets: list[dict[str, Any]]
) -> None:
    def mib(kib: int | None) -> str:
        return "-" if kib is None else f"{kib / 1024:.1f}"

    print(f"{'pipeline':<14} {'best ms':>9} {'median ms':>10} {'peak RSS MiB':>13} {'work MiB':>9} {'out KB':>8}")
    for name in PIPELINES:
        r = results[name]
        if not r.get("available"):
            print(f"{name:<14} not available: {r.get('reason')}")
            continue
        print(
            f"{name:<14} {r['best_s'] * 1000:>9.0f} {r['median_s'] * 1000:>10.0f} {mib(r['peak_rss_kib']):>13}"
            f" {mib(r['work_peak_kib']):>9} {r['output_bytes'] / 1000:>8.0f}"
        )
    print()
    for label, value in ratios.items():
        print(f"{label:<32} {'n/a' if value is None else f'{value:.2f}'}")
    print()
    for t in targets:
        figure = "n/a" if t["figure"] is None else f"{t['figure']:.2f} ({t['reads']})"
        print(f"{'met' if t['met'] else 'NOT met':<8} {t['target']:<44} {figure}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="repetitions per pipeline; the best time counts")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    parser.add_argument("--child", nargs=3, metavar=("PIPELINE", "SOURCE", "RUNS"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        pipeline, source, runs = args.child
        print(json.dumps(child(pipeline, Path(source), int(runs))))
        return 0

    import PIL

    at_start = load_average()
    data = make_source_jpeg()
    print(
        f"source: {SOURCE_SIZE[0]}x{SOURCE_SIZE[1]} JPEG q{SOURCE_QUALITY}, {len(data) / 1e6:.1f} MB; {args.runs} runs each"
    )
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "source.jpg"
        source.write_bytes(data)
        results = {name: measure(name, source, args.runs) for name in PIPELINES}
    ratios, targets = report(results)
    print_table(results, ratios, targets)

    document = {
        "machine": machine(at_start, pillow=PIL.__version__),
        "source": {"width": SOURCE_SIZE[0], "height": SOURCE_SIZE[1], "quality": SOURCE_QUALITY, "bytes": len(data)},
        "runs": args.runs,
        "pipelines": results,
        "ratios": ratios,
        "targets": targets,
        # The shape every benchmark writes (benchmarks/chart.py reads it).
        "figures": {name: results[name].get("best_s") for name in PIPELINES},
        "ratio": {t["target"]: t["figure"] for t in targets},
        "target": {
            "time ours/pyvips": 1.3,
            "peak memory ours/pyvips": 2.0,
            "speedup naive/ours": MIN_SPEEDUP_OVER_NAIVE,
        },
        "checks": [
            {"name": "thumbnails time ours/pyvips", "ratio": targets[0]["figure"], "target": 1.3, "better": "lower"},
            {
                "name": "thumbnails peak memory ours/pyvips",
                "ratio": targets[1]["figure"],
                "target": 2.0,
                "better": "lower",
            },
            {
                "name": "thumbnails speedup naive/ours",
                "ratio": targets[2]["figure"],
                "target": MIN_SPEEDUP_OVER_NAIVE,
                "better": "higher",
            },
        ],
        "met": all(t["met"] for t in targets),
    }
    for check, t in zip(document["checks"], targets, strict=True):
        check["met"] = t["met"]
    write_results(args.output, document)
    return 0


if __name__ == "__main__":
    sys.exit(main())
