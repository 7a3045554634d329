"""Where code lives (docs/architecture.md): the import graph between the project's packages.

- ``myblog.core`` is shared by every app and imports none of them, nor the project package;
- an app imports another app only through the one door the design opens: the blog's cover and
  embedded photos come from ``media.models``;
- no app imports the project package (settings are read through ``django.conf.settings``);
- there is no cycle between packages.

Imports inside functions count: a lazy import is still a dependency.
"""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORE = "myblog.core"
APPS = ("myblog.blog", "media", "notifications", "newsletter", "todo")
PROJECT = "myblog"
# (importing app, imported module) pairs the design allows between apps.
ALLOWED_BETWEEN_APPS = {
    ("myblog.blog", "media.models"),
    # New posts by email: the posts (their admin, body, photos) to the subscribers, through the
    # links notifications builds for every email. Nothing imports the newsletter.
    *(
        ("newsletter", door)
        for door in ("myblog.blog.models", "myblog.blog.admin", "myblog.blog.embeds", "myblog.blog.markdown")
    ),
    ("newsletter", "media.models"),
    ("newsletter", "notifications.models"),
    ("newsletter", "notifications.links"),
}


def package_of(module: str) -> str | None:
    """The package of the layout a dotted module belongs to, or None for third-party code."""
    for package in (CORE, *APPS):
        if module == package or module.startswith(package + "."):
            return package
    if module == PROJECT or module.startswith(PROJECT + "."):
        return PROJECT
    return None


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(path: Path) -> Iterator[str]:
    """Every module ``path`` imports, top-level or inside a function, relative imports resolved."""
    here = module_name(path).split(".")
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here if is_package else here[:-1]
                base = base[: len(base) - (node.level - 1)]
                prefix = ".".join(base)
                module = f"{prefix}.{node.module}" if node.module else prefix
            else:
                module = node.module or ""
            yield module
            # `from package import submodule` imports the submodule.
            yield from (f"{module}.{alias.name}" for alias in node.names)


def product_files() -> Iterator[Path]:
    for top in ("myblog", *{app.split(".")[0] for app in APPS}):
        yield from (REPO / top).rglob("*.py")


def import_edges() -> list[tuple[str, str, str, str]]:
    """(file, imported module, importing package, imported package) for every cross-package import."""
    edges = []
    for path in sorted(set(product_files())):
        source = package_of(module_name(path))
        for module in imported_modules(path):
            target = package_of(module)
            if source and target and source != target:
                edges.append((str(path.relative_to(REPO)), module, source, target))
    return edges


def allowed(source: str, module: str, target: str) -> bool:
    if source == PROJECT:
        return True  # the project wires everything together
    if target == CORE:
        return True
    if source == CORE:
        return False
    if target == PROJECT:
        return False
    return any(
        source == app and (module == door or module.startswith(door + ".")) for app, door in ALLOWED_BETWEEN_APPS
    )


def test_the_shared_core_imports_no_app_and_no_app_reaches_into_another():
    wrong = [
        f"{path} imports {module} ({source} → {target})"
        for path, module, source, target in import_edges()
        if not allowed(source, module, target)
    ]
    assert wrong == []


def test_there_is_no_cycle_between_packages():
    graph: dict[str, set[str]] = {}
    for _path, _module, source, target in import_edges():
        graph.setdefault(source, set()).add(target)

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            nxt == goal or (nxt not in seen and reaches(nxt, goal, seen | {nxt})) for nxt in graph.get(start, ())
        )

    cycles = sorted(package for package in graph if reaches(package, package, {package}))
    assert cycles == []


@pytest.mark.parametrize(
    ("module", "package"),
    [
        ("myblog.core.aws", CORE),
        ("myblog.blog.models", "myblog.blog"),
        ("myblog.settings", PROJECT),
        ("todo.cognito", "todo"),
        ("mediator", None),
        ("rest_framework", None),
    ],
)
def test_modules_are_placed_in_the_package_their_dotted_name_says(module, package):
    assert package_of(module) == package


def test_relative_imports_resolve_to_the_module_they_name(tmp_path, monkeypatch):
    package = tmp_path / "todo"
    package.mkdir()
    (package / "__init__.py").write_text("from . import domain\n")
    (package / "api.py").write_text("from .domain import Todo\nfrom ..myblog.core import errors\n")
    monkeypatch.setattr(f"{__name__}.REPO", tmp_path)
    assert set(imported_modules(package / "__init__.py")) == {"todo", "todo.domain"}
    assert "todo.domain" in set(imported_modules(package / "api.py"))


# The API layer: DRF views, serializers and their schema, authentication, throttling, parsing,
# and the one mapping of domain errors to HTTP statuses.
API_LAYER = {"api.py", "serializers.py", "openapi.py", "schema.py", "authentication.py", "throttling.py", "urls.py"}
# The API layer every service shares: error mapping, parsing, query and body field rules, content
# negotiation (JSON whatever Accept says) and the API docs view.
API_LAYER_PATHS = {
    "myblog/core/http_errors.py",
    "myblog/core/parsers.py",
    "myblog/core/query.py",
    "myblog/core/fields.py",
    "myblog/core/negotiation.py",
    "myblog/core/api_docs.py",
}


def test_domain_code_says_what_went_wrong_without_knowing_http_frameworks():
    wrong = sorted(
        str(path.relative_to(REPO))
        for path in set(product_files())
        if path.name not in API_LAYER
        and str(path.relative_to(REPO)) not in API_LAYER_PATHS
        and "migrations" not in path.parts
        and any(module.split(".")[0] == "rest_framework" for module in imported_modules(path))
    )
    assert wrong == []
