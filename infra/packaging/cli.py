"""The command line of the builder: `python -m infra.packaging [STAGE ...]`, what `make package` runs."""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

import infra.packaging
from infra.packaging.config import BUILD_DIR, CACHE_DIR, HARD_LIMIT_BYTES, REPO_ROOT, PackageError
from infra.packaging.layout import skipped_top_level
from infra.packaging.pipeline import build
from infra.packaging.report import report
from infra.zappa_stages import SETTINGS_FILE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m infra.packaging", description=infra.packaging.__doc__.split("\n\n")[0]
    )
    parser.add_argument("stages", nargs="*", help="stages to build (default: every stage of the settings file)")
    parser.add_argument(
        "--stages", dest="stage_list", help="comma- or space-separated stages (as `make package STAGES=...`)"
    )
    parser.add_argument("--settings", type=Path, default=SETTINGS_FILE, help="Zappa settings file")
    parser.add_argument("--requirements", type=Path, default=REPO_ROOT / "requirements.txt")
    parser.add_argument("--constraints", type=Path, default=REPO_ROOT / "constraints.txt")
    parser.add_argument("--out-dir", type=Path, default=BUILD_DIR, help="where STAGE.zip is written (default: build/)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="wheel cache (default: build/package-cache/)")
    parser.add_argument("--top", type=int, default=10, help="how many of the heaviest packages to list")
    args = parser.parse_args(argv)
    stages = list(args.stages) + (re.split(r"[,\s]+", args.stage_list.strip()) if args.stage_list else [])
    stages = [s for s in stages if s]
    try:
        results = build(
            stages or None,
            settings_file=args.settings.resolve(),
            requirements=args.requirements.resolve(),
            constraints=args.constraints.resolve(),
            out_dir=args.out_dir.resolve(),
            cache_dir=args.cache_dir.resolve(),
        )
    except PackageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    report(results, args.top)
    failed = [r.stage for r in results if r.problems or r.size >= HARD_LIMIT_BYTES]
    if failed:
        print(f"error: not deployable: {', '.join(failed)} (see above)", file=sys.stderr)
        return 1
    skipped = skipped_top_level(REPO_ROOT)
    print(f"    left out of every package: {', '.join(skipped)}")
    print("    deploy: zappa deploy STAGE --zip build/STAGE.zip   (later: zappa update STAGE --zip build/STAGE.zip)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
