"""The Lambda package (docs/architecture.md, decision 11): built by infra.packaging, then inspected.

The python3.13 Lambda runtime is Amazon Linux 2023 with glibc 2.34, while pip on this machine
(glibc 2.36) would accept manylinux_2_35/_2_36 wheels. Every shared library in the zip is read
as an ELF file: x86_64, no GLIBC symbol version above 2.34, no other Python. The checker itself
is shown to fail on libraries that would not load. The first build downloads the wheels into
build/package-cache/; later runs reuse them.
"""

import ast
import importlib.util
import json
import re
import struct
import subprocess
import sys
import zipfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pytest

from infra import zappa_stages
from infra.packaging import config, elf, layout, selection, wheels
from infra.packaging.pipeline import build
from infra.packaging.report import report

REPO_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def stage() -> str:
    # One stage is enough: the stages share the dependency layer and differ in zappa_settings.py.
    return next(iter(zappa_stages.all_stages()))


@pytest.fixture(scope="module")
def built(stage: str, tmp_path_factory: pytest.TempPathFactory) -> Any:
    (result,) = build([stage], out_dir=tmp_path_factory.mktemp("package"))
    return result


@pytest.fixture(scope="module")
def archive(built: Any) -> Any:
    with zipfile.ZipFile(built.zip_path) as opened:
        yield opened


@pytest.fixture(scope="module")
def names(archive: zipfile.ZipFile) -> list[str]:
    return [info.filename for info in archive.infolist() if not info.is_dir()]


def generated_settings(archive: zipfile.ZipFile) -> dict[str, Any]:
    """The assignments of the zappa_settings.py in the zip (literals only, as Zappa writes them)."""
    tree = ast.parse(archive.read("zappa_settings.py"))
    return {node.targets[0].id: ast.literal_eval(node.value) for node in tree.body if isinstance(node, ast.Assign)}


def distributions(names: Iterable[str]) -> set[str]:
    found = {name.split("/")[0] for name in names if name.split("/")[0].endswith(".dist-info")}
    return {wheels.normalize(entry.removesuffix(".dist-info").rsplit("-", 1)[0]) for entry in found}


# --- The package as built -----------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.network
def test_every_shared_library_in_the_package_loads_on_the_lambda_runtime(built: Any, archive: zipfile.ZipFile) -> None:
    checked, problems = elf.check_zip(built.zip_path)

    assert problems == []
    # The runtime set has compiled code (Pillow, psycopg, cryptography, ...): the check saw it.
    assert checked >= 5
    newest = []
    for name in archive.namelist():
        if name.endswith(".so"):
            parsed = elf.read_elf(archive.read(name))
            newest.append(elf.max_glibc(parsed))
            assert parsed.machine == elf.EM_X86_64
    assert any(newest), "the ELF reader found no GLIBC symbol version in any library"
    assert max(v for v in newest if v) <= (2, 34)


@pytest.mark.slow
@pytest.mark.network
def test_extension_modules_are_built_for_cpython_3_13_on_x86_64(names: list[str]) -> None:
    tagged = [name for name in names if ".cpython-" in name and name.endswith(".so")]

    assert tagged
    assert [name for name in tagged if not name.endswith(".cpython-313-x86_64-linux-gnu.so")] == []


@pytest.mark.slow
@pytest.mark.network
def test_the_zip_fits_a_direct_upload_to_lambda(built: Any, capsys: pytest.CaptureFixture[str]) -> None:
    with capsys.disabled():
        print()
        report([built], top=8)

    assert built.size < config.HARD_LIMIT_BYTES
    assert built.uncompressed < 250 * 1024 * 1024  # Lambda's limit on the unzipped code


@pytest.mark.slow
@pytest.mark.network
def test_the_zip_has_the_layout_zappa_deploys(
    built: Any, archive: zipfile.ZipFile, names: list[str], stage: str
) -> None:
    settings = generated_settings(archive)

    # The entry point Lambda calls, `handler.lambda_handler`, at the root: Zappa's own handler.
    assert archive.read("handler.py") == archive.read("zappa/handler.py")
    assert archive.read("django_zappa_app.py") == archive.read("zappa/ext/django_zappa.py")
    assert settings["API_STAGE"] == stage
    assert settings["DJANGO_SETTINGS"] == zappa_stages.all_stages()[stage]["django_settings"]
    assert f"{settings['DJANGO_SETTINGS'].replace('.', '/')}.py" in names
    for functions in settings["AWS_EVENT_MAPPING"].values():
        for function in functions:
            assert f"{function.rsplit('.', 1)[0].replace('.', '/')}.py" in names
    assert "package_info.json" in names
    # Every app package of the project, with its migrations and templates.
    for app in ("myblog/blog", "media"):
        assert f"{app}/__init__.py" in names
        assert any(name.startswith(f"{app}/migrations/0001") for name in names)
    assert any(name.startswith("myblog/blog/templates/") for name in names)


@pytest.mark.slow
@pytest.mark.network
def test_the_zip_carries_only_what_runs_on_lambda(built: Any, names: list[str]) -> None:
    top_level = {name.split("/")[0] for name in names}
    runtime = {wheels.normalize(wheels.WHEEL_NAME.match(wheel.name)["name"]) for wheel in built.wheels}
    dev_only = {
        wheels.normalize(line.split("==")[0].split("[")[0])
        for line in (REPO_ROOT / "requirements-dev.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    } - runtime

    assert top_level.isdisjoint({"tests", "infra", "benchmarks", "scripts", "docs", ".ci", "test-artifacts", "pip"})
    assert {name for name in names if name.startswith("build/")} <= {
        name for name in names if name.startswith("build/static-manifest/")
    }
    # Byte code only as the builder compiles it (the byte-code tests below), none from the checkout.
    assert [name for name in names if name.endswith(".pyc") and ".cpython-313." not in name] == []
    assert [name for name in names if name.endswith((".pyo", ".po"))] == []
    assert [name for name in names if name.endswith((".sqlite3", ".env")) or "/.git/" in name] == []
    # Exactly what requirements.txt resolves to (pip itself stays out, as in Zappa's own packages),
    # less what Zappa needs only to deploy.
    assert distributions(names) == runtime - {"pip"} - config.DEPLOY_ONLY_DISTRIBUTIONS
    assert [name for name in names if name in config.DEPLOY_ONLY_MODULES] == []
    assert {"pytest", "moto", "ruff"} <= dev_only
    assert {"django", "zappa", "boto3", "pillow", "psycopg-binary"} <= runtime


@pytest.mark.slow
@pytest.mark.network
def test_the_package_starts_django_without_the_virtualenv(built: Any, stage: str, tmp_path: Path) -> None:
    with zipfile.ZipFile(built.zip_path) as opened:
        opened.extractall(tmp_path)
        extensions = [
            name.split(".", 1)[0].replace("/", ".")
            for name in opened.namelist()
            if name.endswith(".so") and (".cpython-" in name or ".abi3." in name)
        ]
    # -I -S: no site-packages and no environment, only the package on sys.path (as /var/task).
    script = (
        "import importlib, sys\n"
        "print(f'python{sys.version_info[0]}.{sys.version_info[1]}')\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "import handler, django_zappa_app, zappa_settings\n"
        # Zappa's async tasks build lambda, sns, sts and dynamodb clients when imported.
        "import zappa.asynchronous\n"
        "django_zappa_app.get_django_wsgi(zappa_settings.DJANGO_SETTINGS)\n"
        f"for module in {sorted(extensions)!r}:\n"
        "    importlib.import_module(module)\n"
        "from django.core.management import call_command\n"
        "call_command('check')\n"
        "import django\n"
        "print(django.__file__)\n"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", script],
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        capture_output=True,
        text=True,
        timeout=90,
    )

    assert result.returncode == 0, result.stderr[-3000:]
    lines = result.stdout.strip().splitlines()
    # Started with the runtime's Python version, Django imported from the package.
    assert lines[0] == zappa_stages.stage_config(stage)["runtime"] == config.RUNTIME == "python3.13"
    assert lines[-1].startswith(str(tmp_path))


# PEP 552: a .pyc starts with the magic number, a 32-bit flags field (bit 0: hash-based, bit 1:
# check the source) and then the source's hash (or its mtime and size, when bit 0 is clear).
UNCHECKED_HASH_FLAGS = 0b01


@pytest.mark.slow
@pytest.mark.network
def test_every_module_in_the_package_carries_its_byte_code_for_3_13_that_never_checks_the_source(
    archive: zipfile.ZipFile, names: list[str]
) -> None:
    """Lambda's task root is read-only: what the zip does not carry compiled, every cold start compiles.
    Unzipping gives the sources new mtimes, so only a .pyc that does not compare them is ever used."""
    sources = [name for name in names if name.endswith(".py")]
    byte_code = {name for name in names if name.endswith(".pyc")}

    assert len(sources) > 1000
    assert [name for name in sources if importlib.util.cache_from_source(name, optimization="") not in byte_code] == []
    # No .pyc without its source (the .py files stay for tracebacks, inspect and Django's debug pages).
    assert {importlib.util.source_from_cache(name) for name in byte_code} == set(sources)
    for name in sources:
        header = archive.read(importlib.util.cache_from_source(name, optimization=""))[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER, name  # CPython 3.13's, as the runtime
        assert int.from_bytes(header[4:8], "little") == UNCHECKED_HASH_FLAGS, name
        assert header[8:16] == importlib.util.source_hash(archive.read(name)), name


@pytest.mark.slow
@pytest.mark.network
def test_the_unpacked_package_starts_django_from_its_byte_code_without_compiling_a_module(
    built: Any, tmp_path: Path
) -> None:
    root = tmp_path / "task"
    with zipfile.ZipFile(built.zip_path) as opened:
        opened.extractall(root)
    for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
        folder.chmod(0o555)  # read-only, as /var/task
    # The importer compiles a source only through its loader's source_to_code (when no valid .pyc
    # is there); the child records every such call for a module of the package.
    script = (
        "import importlib.machinery, json, sys\n"
        f"root = {str(root)!r}\n"
        "sys.path.insert(0, root)\n"
        "compiled = []\n"
        "original = importlib.machinery.SourceFileLoader.source_to_code\n"
        "def recording(self, data, path, **kwargs):\n"
        "    if str(path).startswith(root):\n"
        "        compiled.append(str(path))\n"
        "    return original(self, data, path, **kwargs)\n"
        "importlib.machinery.SourceFileLoader.source_to_code = recording\n"
        "import handler, django_zappa_app, zappa_settings\n"
        "django_zappa_app.get_django_wsgi(zappa_settings.DJANGO_SETTINGS)\n"
        "from django.core.management import call_command\n"
        "call_command('check')\n"
        "loaded = [m.__file__ for m in list(sys.modules.values()) if (getattr(m, '__file__', None) or '').startswith(root)]\n"
        "print(json.dumps({'compiled': compiled, 'loaded': len(loaded)}))\n"
    )
    try:
        result = subprocess.run(
            [sys.executable, "-I", "-S", "-B", "-c", script],
            cwd=root,
            env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
            capture_output=True,
            text=True,
            timeout=90,
        )
    finally:
        for folder in [root, *(p for p in root.rglob("*") if p.is_dir())]:
            folder.chmod(0o755)

    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert found["loaded"] > 300  # Django, DRF, botocore, Zappa and the project: all from the package
    assert found["compiled"] == []


@pytest.mark.slow
@pytest.mark.network
def test_building_again_from_the_same_inputs_gives_the_same_files_byte_code_included(
    built: Any, stage: str, tmp_path: Path
) -> None:
    (again,) = build([stage], out_dir=tmp_path)

    def contents(path: Path) -> list[tuple[str, int, tuple[int, ...], int]]:
        with zipfile.ZipFile(path) as opened:
            return [(i.filename, i.CRC, i.date_time, i.external_attr) for i in opened.infolist()]

    first, second = contents(built.zip_path), contents(again.zip_path)
    # Only Zappa's package_info.json differs: it records the build time, as Zappa's own packages do.
    assert [entry for entry in first if entry not in second] == [e for e in first if e[0] == "package_info.json"]
    assert [name for name, *_ in first] == [name for name, *_ in second]


def test_byte_code_is_the_same_bytes_whenever_the_same_sources_are_compiled() -> None:
    """The zip stays reproducible: hash-based .pyc files hold no time, and marshal's output does
    not depend on the process that compiles (two fresh interpreters give the same bytes)."""
    script = (
        "import hashlib, json, pathlib, django\n"
        "from infra.packaging.bytecode import compile_sources\n"
        "base = pathlib.Path(django.__file__).parent\n"
        "sources = {f'django/{p.relative_to(base).as_posix()}': p.read_bytes() for p in base.glob('db/models/**/*.py')}\n"
        "compiled, failed = compile_sources(sources)\n"
        "print(json.dumps({'failed': failed, 'count': len(compiled), 'digests': {n: hashlib.sha256(b).hexdigest() for n, b in compiled.items()}}))\n"
    )

    runs = [
        json.loads(
            subprocess.run(
                [sys.executable, "-c", script], cwd=REPO_ROOT, capture_output=True, text=True, check=True, timeout=120
            ).stdout
        )
        for _ in range(2)
    ]

    assert runs[0]["failed"] == []
    assert runs[0]["count"] > 30
    assert runs[0] == runs[1]


def test_the_package_keeps_the_model_of_every_aws_service_the_code_calls() -> None:
    """botocore's data is trimmed to BOTOCORE_SERVICES: a client the code names must be among them."""
    pattern = re.compile(r"""client\(\s*["']([a-z0-9-]+)["']""")
    named = {
        match
        for folder in ("myblog", "media", "notifications", "todo")
        for path in (REPO_ROOT / folder).rglob("*.py")
        for match in pattern.findall(path.read_text())
    }

    assert {"s3", "dynamodb"} <= named
    assert named <= config.BOTOCORE_SERVICES
    # Zappa's async tasks and django-ses (v1 and v2).
    assert {"lambda", "sns", "sts", "ses", "sesv2"} <= config.BOTOCORE_SERVICES


def test_only_non_english_translations_and_unused_aws_models_are_left_out() -> None:
    from django.conf import settings

    # Other catalogues are left out because nothing switches the language per request.
    assert settings.LANGUAGE_CODE.split("-")[0] in config.KEPT_LANGUAGES
    assert "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE
    assert selection.runtime_unneeded(["django", "conf", "locale", "de", "LC_MESSAGES", "django.mo"])
    assert not selection.runtime_unneeded(["django", "conf", "locale", "en_GB", "LC_MESSAGES", "django.mo"])
    assert not selection.runtime_unneeded(["django", "conf", "locale", "de", "formats.py"])
    assert selection.runtime_unneeded(["botocore", "data", "ec2", "2016-11-15", "service-2.json.gz"])
    assert not selection.runtime_unneeded(["botocore", "data", "s3", "2006-03-01", "service-2.json.gz"])
    assert not selection.runtime_unneeded(["botocore", "data", "endpoints.json"])


# --- The checker fails on libraries the runtime cannot load ---------------------------------------


def fake_library(
    versions: Mapping[str, Iterable[str]] = {"libc.so.6": ("GLIBC_2.2.5", "GLIBC_2.17")},  # noqa: B006
    needed: Iterable[str] = ("libc.so.6",),
    machine: int = 62,
) -> bytes:
    """A minimal ELF64 shared object with a .dynamic (DT_NEEDED) and a .gnu.version_r section."""
    strings = bytearray(b"\0")

    def string(text: str) -> int:
        strings.extend(text.encode() + b"\0")
        return len(strings) - len(text) - 1

    dynamic = b"".join(struct.pack("<qQ", 1, string(lib)) for lib in needed) + struct.pack("<qQ", 0, 0)
    verneed = bytearray()
    files = list(versions.items())
    for index, (library, names) in enumerate(files):
        names = list(names)
        next_need = 0 if index == len(files) - 1 else 16 + 16 * len(names)
        verneed += struct.pack("<HHIII", 1, len(names), string(library), 16, next_need)
        for position, name in enumerate(names):
            verneed += struct.pack("<IHHII", 0, 0, position + 2, string(name), 0 if position == len(names) - 1 else 16)
    shstrtab = b"\0.dynstr\0.dynamic\0.gnu.version_r\0.shstrtab\0"

    body = bytearray(64)
    offsets = []
    for blob in (bytes(strings), dynamic, bytes(verneed), shstrtab):
        offsets.append(len(body))
        body += blob
    shoff = len(body)
    sections = [
        (0, 0, 0, 0, 0, 0),
        (1, 3, offsets[0], len(strings), 0, 0),  # .dynstr (SHT_STRTAB)
        (9, 6, offsets[1], len(dynamic), 1, 0),  # .dynamic, strings in section 1
        (18, 0x6FFFFFFE, offsets[2], len(verneed), 1, len(files)),  # .gnu.version_r
        (33, 3, offsets[3], len(shstrtab), 0, 0),  # .shstrtab
    ]
    for name, kind, offset, size, link, info in sections:
        body += struct.pack("<IIQQQQIIQQ", name, kind, 0, 0, offset, size, link, info, 1, 0)
    header = b"\x7fELF" + bytes([2, 1, 1, 0]) + bytes(8)
    header += struct.pack("<HHIQQQIHHHHHH", 3, machine, 1, 0, 0, shoff, 0, 64, 56, 0, 64, len(sections), 4)
    body[:64] = header
    return bytes(body)


OK_NAME = "pkg/_speedups.cpython-313-x86_64-linux-gnu.so"


def test_the_checker_reads_what_a_library_needs() -> None:
    parsed = elf.read_elf(fake_library(needed=("libc.so.6", "libm.so.6")))

    assert parsed.machine == elf.EM_X86_64
    assert parsed.needed == ["libc.so.6", "libm.so.6"]
    assert parsed.version_needs == {"libc.so.6": {"GLIBC_2.2.5", "GLIBC_2.17"}}
    assert elf.max_glibc(parsed) == (2, 17)
    assert elf.check_shared_object(OK_NAME, fake_library()) == []


@pytest.mark.parametrize(
    ("name", "library", "complaint"),
    [
        pytest.param(OK_NAME, fake_library({"libc.so.6": ("GLIBC_2.17", "GLIBC_2.35")}), "GLIBC_2.35", id="glibc-2.35"),
        pytest.param(
            OK_NAME,
            fake_library(
                {"libm.so.6": ("GLIBC_2.2.5",), "libc.so.6": ("GLIBC_2.36",)}, needed=("libc.so.6", "libm.so.6")
            ),
            "GLIBC_2.36",
            id="glibc-2.36-in-second-verneed",
        ),
        pytest.param(OK_NAME, fake_library(machine=183), "not an x86_64", id="aarch64"),
        pytest.param(
            OK_NAME, fake_library(needed=("libc.so.6", "libpython3.11.so.1.0")), "libpython3.11", id="links-python-3.11"
        ),
        pytest.param(
            "pkg/_speedups.cpython-311-x86_64-linux-gnu.so", fake_library(), "CPython 311", id="cpython-311-tag"
        ),
        pytest.param(
            OK_NAME,
            fake_library({"libstdc++.so.6": ("GLIBCXX_3.4.30",)}, needed=("libstdc++.so.6",)),
            "GLIBCXX_3.4.30",
            id="libstdc++-of-gcc-12",
        ),
        pytest.param(OK_NAME, fake_library(needed=("libc.so.6", "libpq.so.5")), "libpq.so.5", id="unbundled-libpq"),
    ],
)
def test_the_checker_rejects_a_library_the_runtime_cannot_load(name: str, library: bytes, complaint: str) -> None:
    problems = elf.check_shared_object(name, library)

    assert problems
    assert complaint in " ".join(problems)


def test_a_zip_with_a_library_that_needs_glibc_2_35_fails_the_check(tmp_path: Path) -> None:
    bad = tmp_path / "bad.zip"
    with zipfile.ZipFile(bad, "w") as out:
        out.writestr("good/_ok.cpython-313-x86_64-linux-gnu.so", fake_library({"libc.so.6": ("GLIBC_2.34",)}))
        out.writestr("bad/_new.cpython-313-x86_64-linux-gnu.so", fake_library({"libc.so.6": ("GLIBC_2.35",)}))
        out.writestr("bad.libs/libbundled-1a2b3c4d.so.1", fake_library(needed=("libc.so.6",)))
        out.writestr("handler.py", "")

    checked, problems = elf.check_zip(bad)

    assert checked == 3
    assert len(problems) == 1
    assert problems[0].startswith("bad/_new.cpython-313-x86_64-linux-gnu.so: needs GLIBC_2.35")


def test_the_checker_judges_real_libraries_by_the_glibc_they_need() -> None:
    """Libraries built on this machine (Debian 12 or later, glibc 2.36+) need symbols Amazon Linux 2023
    lacks and are refused; the virtualenv's wheels of the same packages the zip carries load there."""
    system = [
        path
        for path in sorted(Path("/usr/lib/x86_64-linux-gnu").glob("lib*.so.*"))
        if path.is_file() and path.read_bytes()[:4] == elf.ELF_MAGIC
    ]
    too_new = [path for path in system if (elf.max_glibc(elf.read_elf(path.read_bytes())) or (0,)) > config.MAX_GLIBC]
    wheels_here = []
    for package in ("cryptography", "PIL", "nh3", "psycopg_binary"):
        spec = importlib.util.find_spec(package)
        assert spec and spec.submodule_search_locations, package
        wheels_here += Path(next(iter(spec.submodule_search_locations))).rglob("*.so")

    assert too_new, "this machine's glibc is 2.35 or newer, so some of its own libraries need it"
    for path in too_new[:20]:
        assert any("needs GLIBC_2.3" in problem for problem in elf.check_shared_object(path.name, path.read_bytes()))
    assert wheels_here
    for path in wheels_here:
        assert not [p for p in elf.check_shared_object(path.name, path.read_bytes()) if "needs GLIBC" in p], path


# --- Wheel selection and Zappa's exclusions --------------------------------------------------------


@pytest.mark.parametrize(
    ("wheel", "fits"),
    [
        ("pillow-13.0.0-cp313-cp313-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl", True),
        ("cryptography-50.0.2-cp311-abi3-manylinux_2_34_x86_64.whl", True),
        ("psycopg_binary-3.3.9-cp313-cp313-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", True),
        ("nh3-0.3.8-cp38-abi3-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", True),
        ("Django-5.2.19-py3-none-any.whl", True),
        ("cryptography-50.0.2-cp311-abi3-manylinux_2_35_x86_64.whl", False),
        ("pillow-13.0.0-cp313-cp313-manylinux_2_39_x86_64.whl", False),
        ("pillow-11.3.0-cp311-cp311-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", False),
        ("nh3-0.3.8-cp38-abi3-manylinux_2_17_aarch64.manylinux2014_aarch64.whl", False),
        ("psycopg_binary-3.3.9-cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", False),
        ("pydantic_core-2.41.5-cp313-cp313t-manylinux_2_17_x86_64.manylinux2014_x86_64.whl", False),
    ],
)
def test_only_wheels_for_the_lambda_platform_are_accepted(wheel: str, fits: bool) -> None:
    assert wheels.lambda_compatible(wheel) is fits


def test_exclude_glob_works_as_zappas_path_glob_from_the_package_root() -> None:
    assert selection.excluded_by_glob(["tests", "test_x.py"], ["tests"])
    assert not selection.excluded_by_glob(["myblog", "tests", "x.py"], ["tests"])
    assert selection.excluded_by_glob(["myblog", "tests", "x.py"], ["**/tests"])
    assert selection.excluded_by_name(["myblog", "__pycache__", "x.cpython-311.pyc"], ["__pycache__"])


def test_the_project_part_is_its_python_packages_and_the_static_manifest(tmp_path: Path) -> None:
    files = [
        "blog/__init__.py",
        "blog/views.py",
        "blog/templates/blog/page.html",
        "blog/migrations/0001_initial.py",
        "blog/static/blog/site.css",
        "blog/__pycache__/views.cpython-311.pyc",
        "blog/tests/test_views.py",
        "build/static-manifest/staticfiles.json",
        "build/dev.zip",
        "tests/__init__.py",
        "infra/__init__.py",
        "notes/todo.txt",
        "manage.py",
        "db.sqlite3",
        ".env",
        "README.md",
    ]
    for name in files:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")

    shipped = sorted(rel for _, rel in layout.project_files(tmp_path, ["*.sqlite3"], ["blog/tests"]))

    assert shipped == [
        "blog/__init__.py",
        "blog/migrations/0001_initial.py",
        "blog/templates/blog/page.html",
        "blog/views.py",
        "build/static-manifest/staticfiles.json",
    ]


def test_the_command_refuses_a_stage_not_in_the_settings_and_names_the_stages_there_are() -> None:
    command = [sys.executable, "-m", "infra.packaging", "--stages", "blog_qa"]

    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)

    assert result.returncode == 1
    assert "unknown stage(s) blog_qa" in result.stderr and "blog_dev, blog_production" in result.stderr
