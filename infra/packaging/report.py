"""The sizes of the built zips against the direct-upload limit and the target."""

from __future__ import annotations

from collections import Counter

from infra.packaging.config import HARD_LIMIT_BYTES, TARGET_BYTES, mib, step
from infra.packaging.layout import StageResult


def report(results: list[StageResult], top: int = 10) -> None:
    step("Sizes")
    for result in results:
        verdict = "under" if result.size < HARD_LIMIT_BYTES else "OVER"
        print(
            f"    {result.stage}: {result.zip_path.name} {mib(result.size)} ({result.size} bytes, "
            f"{mib(result.uncompressed)} unzipped); {verdict} the {mib(HARD_LIMIT_BYTES)} direct-upload limit"
        )
        gap = result.size - TARGET_BYTES
        target = f"{mib(gap)} over" if gap > 0 else f"{mib(-gap)} under"
        print(f"    {result.stage}: {target} the {mib(TARGET_BYTES)} target of issue 7")
    if results:
        print(f"    heaviest parts of {results[0].zip_path.name} (compressed):")
        for name, size in Counter(results[0].sizes).most_common(top):
            print(f"      {mib(size):>10}  {name}")
