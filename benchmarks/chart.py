"""One chart of every benchmark ratio against its target: benchmarks/results/ratios.png.

    python -m benchmarks.chart

Reads the "checks" of every benchmarks/results/*.json (name, ratio, target, which way is better,
met) and draws each ratio as a bar, its target as a tick, on a log scale (the ratios span two
orders of magnitude). Green: met; red: not met. Also prints the table.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
ORDER = ("cold_start", "read_throughput", "todo_read", "thumbnails", "package_size")
SYMBOL = {"lower": "<=", "higher": ">=", "exactly": "=="}


def collect(results_dir: Path) -> list[dict[str, Any]]:
    checks = []
    files = sorted(results_dir.glob("*.json"), key=lambda p: (ORDER.index(p.stem) if p.stem in ORDER else 99, p.stem))
    for path in files:
        document = json.loads(path.read_text())
        for check in document.get("checks", []):
            if check.get("ratio") is not None:
                checks.append({**check, "source": path.name, "measured_at": document.get("measured_at")})
    return checks


def draw(checks: list[dict[str, Any]], output: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = [f"{c['name']}  ({SYMBOL.get(c['better'], '?')} {c['target']:g})" for c in checks]
    height = 0.6 * len(checks) + 1.5
    figure, axes = plt.subplots(figsize=(10, height))
    positions = range(len(checks))[::-1]
    for y, check in zip(positions, checks, strict=True):
        colour = "#2e7d32" if check["met"] else "#c62828"
        axes.barh(y, check["ratio"], color=colour, height=0.55)
        axes.plot([check["target"], check["target"]], [y - 0.4, y + 0.4], color="black", linewidth=2)
        axes.text(check["ratio"] * 1.05, y, f"{check['ratio']:.2f}", va="center", fontsize=9)
    axes.set_xscale("log")
    axes.set_yticks(list(positions), labels, fontsize=9)
    axes.set_xlabel("ratio (log scale); black tick = target; green = met, red = not met")
    axes.set_title("make bench: ratios measured in one run against their targets")
    axes.set_xlim(min(0.01, *(c["ratio"] * 0.8 for c in checks)), max(20, *(c["ratio"] * 2 for c in checks)))
    figure.tight_layout()
    output.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(output, dpi=110)
    plt.close(figure)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_DIR)
    parser.add_argument("--output", type=Path, default=RESULTS_DIR / "ratios.png")
    args = parser.parse_args(argv)
    checks = collect(args.results)
    if not checks:
        sys.exit(f"no benchmark results with checks in {args.results}")
    print(f"{'figure':<42} {'ratio':>7}  target   verdict")
    for check in checks:
        target = f"{SYMBOL.get(check['better'], '?')} {check['target']:g}"
        print(f"{check['name']:<42} {check['ratio']:>7.2f}  {target:<7}  {'met' if check['met'] else 'NOT met'}")
    draw(checks, args.output)
    print(f"\nchart written to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
