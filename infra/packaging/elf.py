"""Every shared library in a zip read as an ELF file: x86_64, glibc <= 2.34, no other Python."""

from __future__ import annotations

import re
import struct
import zipfile
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

from infra.packaging.config import (
    ABI,
    MAX_GLIBC,
    MAX_SYSTEM_CXX,
    PYTHON_VERSION,
    RUNTIME,
    SYSTEM_CXX_LIBS,
    SYSTEM_LIBS,
)

ELF_MAGIC = b"\x7fELF"
EM_X86_64 = 62
SHT_DYNAMIC = 6
SHT_GNU_VERNEED = 0x6FFFFFFE
DT_NULL, DT_NEEDED = 0, 1


@dataclass
class ElfInfo:
    """What a shared library needs from the system that loads it."""

    elf_class: int  # 1: 32-bit, 2: 64-bit
    little_endian: bool
    machine: int
    needed: list[str] = field(default_factory=list)  # DT_NEEDED library names
    version_needs: dict[str, set[str]] = field(default_factory=dict)  # library -> symbol versions
    has_sections: bool = True


def _cstr(data: bytes, offset: int) -> str:
    end = data.index(b"\0", offset)
    return data[offset:end].decode("ascii", "replace")


def read_elf(data: bytes) -> ElfInfo:
    """Read an ELF file's architecture, DT_NEEDED libraries and GNU symbol-version needs.

    Only 64-bit little-endian files are read past the header: anything else is not x86_64.
    """
    if data[:4] != ELF_MAGIC or len(data) < 64:
        raise ValueError("not an ELF file")
    elf_class, little = data[4], data[5] == 1
    machine = struct.unpack_from("<H" if little else ">H", data, 18)[0]
    elf = ElfInfo(elf_class=elf_class, little_endian=little, machine=machine)
    if elf_class != 2 or not little:
        return elf
    (shoff,) = struct.unpack_from("<Q", data, 40)
    shentsize, shnum, _shstrndx = struct.unpack_from("<HHH", data, 58)
    if not shoff or not shnum:
        elf.has_sections = False
        return elf
    sections = [struct.unpack_from("<IIQQQQIIQQ", data, shoff + i * shentsize) for i in range(shnum)]
    for _name, sh_type, _flags, _addr, offset, size, link, sh_info, _align, _entsize in sections:
        if sh_type not in (SHT_DYNAMIC, SHT_GNU_VERNEED):
            continue
        strtab = sections[link][4]
        if sh_type == SHT_DYNAMIC:
            for pos in range(offset, offset + size, 16):
                tag, value = struct.unpack_from("<qQ", data, pos)
                if tag == DT_NULL:
                    break
                if tag == DT_NEEDED:
                    elf.needed.append(_cstr(data, strtab + value))
        else:
            pos = offset
            for _ in range(sh_info):  # sh_info holds the number of Verneed entries
                _version, count, file_name, aux, next_need = struct.unpack_from("<HHIII", data, pos)
                versions = elf.version_needs.setdefault(_cstr(data, strtab + file_name), set())
                aux_pos = pos + aux
                for _ in range(count):
                    _hash, _vflags, _other, name, next_aux = struct.unpack_from("<IHHII", data, aux_pos)
                    versions.add(_cstr(data, strtab + name))
                    aux_pos += next_aux
                if not next_need:
                    break
                pos += next_need
    return elf


def _version(text: str) -> tuple[int, ...] | None:
    return tuple(int(part) for part in text.split(".")) if re.fullmatch(r"\d+(\.\d+)*", text) else None


def glibc_versions(elf: ElfInfo) -> dict[str, tuple[int, ...]]:
    """The GLIBC_x.y symbol versions the library needs (GLIBC_PRIVATE and the like left out)."""
    found = {v: _version(v.removeprefix("GLIBC_")) for vs in elf.version_needs.values() for v in vs}
    return {name: version for name, version in found.items() if name.startswith("GLIBC_") and version}


def max_glibc(elf: ElfInfo) -> tuple[int, ...] | None:
    """The newest GLIBC_x.y symbol version the library needs, if any."""
    return max(glibc_versions(elf).values(), default=None)


CPYTHON_TAG = re.compile(r"\.cpython-(\d+)([a-z]*)-([a-z0-9_]+)-linux-gnu\.so$")
LIBPYTHON = re.compile(r"^libpython(\d+\.\d+)")


def check_shared_object(path: str, data: bytes, bundled: AbstractSet[str] = frozenset()) -> list[str]:
    """Why this library would not load on the python3.13 Lambda runtime (empty if it would).

    `bundled` holds the library file names the package itself carries (e.g. in `*.libs/`).
    """
    problems = []
    if tag := CPYTHON_TAG.search(path):
        if tag.group(1) != ABI.removeprefix("cp") or tag.group(2):  # e.g. 313t: free-threaded, another ABI
            problems.append(f"built for CPython {tag.group(1)}{tag.group(2)}, not {PYTHON_VERSION} (file name)")
        if tag.group(3) != "x86_64":
            problems.append(f"built for {tag.group(3)}, not x86_64 (file name)")
    try:
        elf = read_elf(data)
    except (ValueError, struct.error, IndexError) as error:
        return [*problems, f"unreadable ELF file: {error}"]
    if elf.elf_class != 2 or not elf.little_endian or elf.machine != EM_X86_64:
        return [*problems, f"not an x86_64 library (ELF class {elf.elf_class}, machine {elf.machine})"]
    if not elf.has_sections:
        return [*problems, "no section headers: its glibc needs cannot be verified"]
    too_new = sorted((v, name) for name, v in glibc_versions(elf).items() if v > MAX_GLIBC)
    if too_new:
        wanted = ", ".join(name for _, name in too_new)
        problems.append(f"needs {wanted} (Lambda {RUNTIME} has glibc {'.'.join(map(str, MAX_GLIBC))})")
    for library, versions in elf.version_needs.items():
        if library not in SYSTEM_CXX_LIBS:  # a bundled, renamed copy brings its own symbols
            continue
        for version in versions:
            prefix, _, number = version.partition("_")
            limit, parsed = MAX_SYSTEM_CXX.get(prefix), _version(number)
            if limit and parsed and parsed > limit:
                problems.append(
                    f"needs {version} from the system {library} (Amazon Linux 2023 has up to {prefix}_{'.'.join(map(str, limit))})"
                )
    for library in elf.needed:
        if (match := LIBPYTHON.match(library)) and match.group(1) != PYTHON_VERSION:
            problems.append(f"links {library}, another Python")
        elif library not in SYSTEM_LIBS and library not in bundled and not LIBPYTHON.match(library):
            problems.append(f"links {library}, which is neither in the package nor in the Lambda runtime")
    return problems


def is_library_name(name: str) -> bool:
    base = PurePosixPath(name).name
    return base.endswith(".so") or ".so." in base


def check_zip(zip_path: Path) -> tuple[int, list[str]]:
    """Check every ELF file in the zip; return how many were checked and the problems found."""
    problems: list[str] = []
    checked = 0
    with zipfile.ZipFile(zip_path) as archive:
        names = [i.filename for i in archive.infolist() if not i.is_dir()]
        bundled = {PurePosixPath(n).name for n in names if is_library_name(n)}
        for name in names:
            with archive.open(name) as handle:
                head = handle.read(4)
                if head != ELF_MAGIC:
                    if is_library_name(name):
                        problems.append(f"{name}: named like a shared library but not an ELF file")
                    continue
                data = head + handle.read()
            checked += 1
            problems.extend(f"{name}: {problem}" for problem in check_shared_object(name, data, bundled))
    return checked, problems
