"""What the builder makes: the Lambda platform, the limits, what never ships (one place to change them)."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

REPO_ROOT = Path(__file__).resolve().parents[2]
BUILD_DIR = REPO_ROOT / "build"
CACHE_DIR = BUILD_DIR / "package-cache"
STATIC_MANIFEST_DIR = PurePosixPath("build/static-manifest")

# The python3.13 Lambda runtime: CPython 3.13 on Amazon Linux 2023 (glibc 2.34), x86_64 (every stage:
# docs/architecture.md, decision 11, says why not arm64).
RUNTIME = "python3.13"
PYTHON_VERSION = "3.13"
ABI = "cp313"
ARCHITECTURE = "x86_64"  # Zappa's name (Lambda's `Architectures`); the wheels' and ELF's name too
MAX_GLIBC = (2, 34)
# manylinux_2_34 and every older tag (pip would expand the newest itself; all are listed anyway),
# plus the legacy aliases of 2_17, 2_12 and 2_5. A manylinux_2_35 or newer wheel is refused.
PLATFORMS = (
    *(f"manylinux_2_{minor}_{ARCHITECTURE}" for minor in range(MAX_GLIBC[1], 16, -1)),
    f"manylinux2014_{ARCHITECTURE}",
    f"manylinux2010_{ARCHITECTURE}",
    f"manylinux1_{ARCHITECTURE}",
)
MAX_MANYLINUX_GLIBC = MAX_GLIBC
# Amazon Linux 2023's system libstdc++/libgcc come from GCC 11 (a wheel that links them without
# bundling a copy may use no newer symbol version).
MAX_SYSTEM_CXX = {"GLIBCXX": (3, 4, 29), "CXXABI": (1, 3, 13), "GCC": (11, 0, 0)}
SYSTEM_CXX_LIBS = {"libstdc++.so.6", "libgcc_s.so.1"}
# What a manylinux wheel may link without bundling it (the manylinux policy's library list);
# the Lambda runtime has all of them.
SYSTEM_LIBS = {
    "libc.so.6",
    "libm.so.6",
    "libdl.so.2",
    "librt.so.1",
    "libpthread.so.0",
    "libutil.so.1",
    "libnsl.so.1",
    "libresolv.so.2",
    "libcrypt.so.1",
    "libz.so.1",
    "libexpat.so.1",
    "ld-linux-x86-64.so.2",
    "libgcc_s.so.1",
    "libstdc++.so.6",
}

HARD_LIMIT_BYTES = 50 * 1024 * 1024  # direct upload of a zip to Lambda (what AWS and Zappa enforce)
TARGET_BYTES = 30 * 1024 * 1024  # issue 7's goal

# What Zappa itself never packages (zappa.core.ZIP_EXCLUDES), matched against every path part.
ZAPPA_EXCLUDES = ["*.exe", "*.DS_Store", "*.Python", "*.git", "*.zip", "*.tar.gz", "*.hg", "pip", "docutils*"]
# Never on Lambda, whatever a stage's exclude lists say: byte code found in wheels or the checkout
# (whatever Python made it; the builder compiles its own for 3.13 after these exclusions,
# infra/packaging/bytecode.py), type stubs, translation sources (gettext reads only the compiled
# .mo files), and the repository's non-runtime folders.
ALWAYS_EXCLUDE = ["__pycache__", "*.pyc", "*.pyo", "*.pyi", "*.po"]
NEVER_SHIPPED_TOP_LEVEL = ["tests", "infra", "benchmarks", "scripts", "docs", ".ci", "build", "test-artifacts"]

FIXED_DATE = (2020, 1, 1, 0, 0, 0)  # identical inputs give an identical zip
WHEELS_FORMAT = "2"  # bump when the way wheels are chosen changes
LAYER_FORMAT = "5"  # bump when the way the dependency layer is made changes

# What the Lambda never runs, left out of the dependency layer to keep the zip small (issue 7).
# Zappa needs these only on the operator's machine, to build and deploy: its runtime modules
# (handler, wsgi, middleware, utilities, asynchronous, ext/django_zappa) import none of them;
# `zappa.cli`, `zappa.core` and `zappa.letsencrypt`, which do, go too.
DEPLOY_ONLY_DISTRIBUTIONS = frozenset(
    {
        "argcomplete",
        "cfn-flip",
        "click",
        "hjson",
        "placebo",
        "python-slugify",
        "setuptools",
        "text-unidecode",
        "toml",
        "troposphere",
        "wheel",
    }
)
DEPLOY_ONLY_MODULES = frozenset({"zappa/cli.py", "zappa/core.py", "zappa/letsencrypt.py"})
# botocore carries the model of every AWS service (~15 MiB compressed); the package keeps the
# services a Lambda of this project calls. The project's clients (myblog/core/aws.py, todo/repository.py,
# django-ses, the DAX client, which reuses dynamodb's model) and Zappa's runtime (remote_env from
# S3, zappa.asynchronous: lambda, sns, sts, dynamodb), plus what credential resolution may call.
# tests/infra/test_package.py checks that every service the project code names is kept.
BOTOCORE_SERVICES = frozenset(
    {
        "cognito-identity",
        "cognito-idp",
        "dynamodb",
        "dynamodbstreams",
        "lambda",
        "s3",
        "ses",
        "sesv2",
        "sns",
        "sqs",
        "sso",
        "sso-oidc",
        "sts",
    }
)
# Compiled translations kept: settings.LANGUAGE_CODE is en-us and no LocaleMiddleware switches
# the language per request, so no other catalogue is ever read.
KEPT_LANGUAGES = ("en",)


class PackageError(Exception):
    """The package cannot be built as asked; the message says why and what to do."""


def step(message: str) -> None:
    print(f"==> {message}", flush=True)


def info(message: str) -> None:
    print(f"    {message}", flush=True)


def mib(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MiB"
