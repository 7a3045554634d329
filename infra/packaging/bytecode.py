"""Byte code for every module the package ships, compiled at build time by the runtime's Python.

Lambda unpacks the zip into /var/task, which is read-only: a package without byte code makes every
cold start compile every module it imports, and write none of it back (measured: about 3x slower
starts). So the package carries a `__pycache__/<module>.cpython-313.pyc` next to each `.py` (the
builder runs only on 3.13, the runtime's version, so the magic number and cache tag match).

The .pyc files are unchecked hash-based (PEP 552, py_compile.PycInvalidationMode.UNCHECKED_HASH):
the default timestamp-based .pyc records its source's mtime and size, and the importer recompiles
when they differ; unzipping gives the sources new mtimes, so every timestamp .pyc would be stale on
Lambda. A hash-based .pyc records the source's hash instead (so the bytes depend only on the
source: the zip stays reproducible), and an unchecked one is loaded without reading the source at
all (unless Python runs with --check-hash-based-pycs always, which Lambda's does not), which is
right for a task root that never changes after the zip is made. The flip side: a
source edited inside an unpacked package is ignored until its .pyc is rebuilt or removed.

Optimisation level 0 only: asserts stay, and so do docstrings, which DRF and drf-spectacular read
to describe the API. The .py sources stay too: tracebacks, inspect and Django's template debug
pages read them.
"""

from __future__ import annotations

import compileall
import importlib.util
import tempfile
import warnings
from collections.abc import Mapping
from pathlib import Path
from py_compile import PycInvalidationMode


def cache_name(source_name: str) -> str:
    """The archive name of a module's .pyc (`a/b.py` -> `a/__pycache__/b.cpython-313.pyc`)."""
    return importlib.util.cache_from_source(source_name, optimization="")


def compile_sources(sources: Mapping[str, bytes]) -> tuple[dict[str, bytes], list[str]]:
    """({.pyc archive name: bytes} for the `.py` sources given by archive name, [names that do not compile])."""
    modules = {name: data for name, data in sources.items() if name.endswith(".py")}
    compiled: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        for name, data in modules.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_bytes(data)
        with warnings.catch_warnings():
            # Third-party sources with e.g. invalid escape sequences: the runtime would warn once per
            # compile too; nothing to act on here.
            warnings.simplefilter("ignore", SyntaxWarning)
            compileall.compile_dir(
                root,
                quiet=2,
                stripdir=tmp,  # code objects name the path inside the package, not the temporary folder
                optimize=0,
                invalidation_mode=PycInvalidationMode.UNCHECKED_HASH,
            )
        failed = []
        for name in sorted(modules):
            pyc = root / cache_name(name)
            if pyc.exists():
                compiled[cache_name(name)] = pyc.read_bytes()
            else:
                failed.append(name)  # not valid Python 3.13: it could not be imported either
    return compiled, failed
