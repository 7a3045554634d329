"""The Lambda zip of every stage: its size against the 30 MB target.

    python -m benchmarks.package_size [STAGE ...]

Builds the zips with infra.packaging (the builder of `make package`, into build/; the wheels
come from build/package-cache/ after the first run) and records each stage's size, its ratio to
the target and the heaviest parts, in benchmarks/results/package_size.json. The target is read as
30 MB = 30,000,000 bytes, the stricter reading; the figure in MiB is recorded too.
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

from benchmarks.common import RESULTS_DIR, ROOT, machine, write_results
from infra.packaging import config
from infra.packaging.config import PackageError
from infra.packaging.pipeline import build
from infra.packaging.report import report

RESULTS = RESULTS_DIR / "package_size.json"
TARGET_BYTES = 30_000_000


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stages", nargs="*", help="stages to build (default: every stage)")
    parser.add_argument("--output", type=Path, default=RESULTS, help="where to write the JSON results")
    args = parser.parse_args(argv)
    try:
        results = build(args.stages or None)
    except PackageError as error:
        sys.exit(f"error: {error}")
    report(results)

    stages = {}
    for result in results:
        stages[result.stage] = {
            "zip": str(result.zip_path.relative_to(ROOT)),
            "bytes": result.size,
            "mb": result.size / 1e6,
            "mib": result.size / 1024 / 1024,
            "unzipped_mib": result.uncompressed / 1024 / 1024,
            "ratio": result.size / TARGET_BYTES,
            "met": result.size <= TARGET_BYTES,
            "library_problems": result.problems,
            "heaviest_mib": {name: size / 1024 / 1024 for name, size in Counter(result.sizes).most_common(10)},
        }
    largest = max(stages.values(), key=lambda stage: stage["bytes"])
    met = all(stage["met"] for stage in stages.values())
    print(f"\n{'stage':<17} {'MB':>6} {'x target':>9}")
    for name, stage in stages.items():
        print(f"{name:<17} {stage['mb']:>6.1f} {stage['ratio']:>9.2f}  {'met' if stage['met'] else 'NOT met'}")
    print(f"\n{'met' if met else 'NOT met'}: largest zip {largest['mb']:.1f} MB (target <= 30 MB)")

    write_results(
        args.output,
        {
            "benchmark": "package_size",
            "machine": machine(),
            "figures": {
                # What the wheels are for (infra/packaging/config.py): the python3.13 runtime's platform.
                "platform": {
                    "runtime": config.RUNTIME,
                    "abi": config.ABI,
                    "architecture": config.ARCHITECTURE,
                    "max_glibc": ".".join(map(str, config.MAX_GLIBC)),
                },
                "stages": stages,
                "left_out": {
                    "deploy_only_distributions": sorted(config.DEPLOY_ONLY_DISTRIBUTIONS),
                    "deploy_only_modules": sorted(config.DEPLOY_ONLY_MODULES),
                    "botocore_services_kept": sorted(config.BOTOCORE_SERVICES),
                    "translations_kept": list(config.KEPT_LANGUAGES),
                },
            },
            "ratio": largest["ratio"],
            "target": 1.0,
            "target_reads": "the largest stage's zip over 30 MB (30,000,000 bytes), at most 1",
            "checks": [
                {"name": "Lambda zip / 30 MB", "ratio": largest["ratio"], "target": 1.0, "better": "lower", "met": met}
            ],
            "met": met,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
