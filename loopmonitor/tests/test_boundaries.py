"""One-way app boundaries, read from the source with `ast` (no Django, no database).

`reports` may import `stores`, never the reverse; `alerts` may import both, neither
imports `alerts` (stores announces its writes with a signal, `stores.signals`);
`loopmonitor/api.py`, the API plumbing the apps share, imports none of them. An import is any `import x` /
`from x import y` (relative ones resolved against the file's package, inside a
function or under TYPE_CHECKING included) or a call that names a module or a
model in a string (`importlib.import_module("reports.x")`, `import_string`,
`apps.get_model("reports", ...)`, `ForeignKey("reports.Report")`, `mock.patch`).
Besides a module's own imports, no chain of first-party imports may lead from
`stores` to `reports` (say stores -> loopmonitor.something -> reports).

`notifications` is told what happened by the apps that know (stores, reports, alerts) and
knows none of them: its code imports none, directly or through a chain; its tests may.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIRST_PARTY = ("stores", "reports", "alerts", "loopmonitor", "bench", "brands", "notifications")

# (what, which top-level packages it must never import)
RULES = [
    ("stores", {"reports", "alerts"}),
    # alerts builds on reports (the engine, its reader); reports knows nothing of alerts.
    ("reports", {"alerts"}),
    ("loopmonitor/api.py", {"stores", "reports", "alerts"}),
]

# Callables whose first string argument names a module, an object path or an app label.
_STRING_IMPORTERS = {
    "import_module",
    "__import__",
    "import_string",
    "get_model",
    "get_app_config",
    "ForeignKey",
    "OneToOneField",
    "ManyToManyField",
    "patch",
}


def module_name(path: Path) -> str:
    """`stores/tests/test_x.py` -> `stores.tests.test_x`; a package's `__init__.py` -> the package."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_names(source: str, module: str, *, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, absolute dotted name) of everything `source` (the text of `module`) imports or names
    as an import in a string. Relative imports are resolved; one beyond the top level is
    returned as `<invalid relative import>`."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".") if package else []
                if node.level > len(base):  # Python: "attempted relative import beyond top-level package"
                    yield node.lineno, "<invalid relative import>"
                    continue
                base = base[: len(base) - node.level + 1]
                prefix = ".".join(base + ([node.module] if node.module else []))
            else:
                prefix = node.module or ""
            # `from x import y` may import the submodule x.y: name both.
            yield node.lineno, prefix
            for alias in node.names:
                if alias.name != "*":
                    yield node.lineno, f"{prefix}.{alias.name}" if prefix else alias.name
        elif isinstance(node, ast.Call) and _callee(node.func) in _STRING_IMPORTERS and node.args:
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _callee(func: ast.expr) -> str | None:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return None


def top_level(name: str) -> str:
    """The package a dotted name (or a `app_label.Model` string) belongs to."""
    return name.split(".", 1)[0]


def python_files(target: str) -> list[Path]:
    path = ROOT / target
    files = [path] if path.is_file() else sorted(path.rglob("*.py"))
    return [f for f in files if ".venv" not in f.parts]


def violations(target: str, forbidden: set[str]) -> list[str]:
    """`file:line imports name` for each direct import from a forbidden package under `target`."""
    found = []
    for path in python_files(target):
        names = imported_names(path.read_text(), module_name(path), is_package=path.name == "__init__.py")
        for line, name in names:
            if top_level(name) in forbidden or name == "<invalid relative import>":
                found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    return found


def first_party_graph() -> dict[str, set[str]]:
    """Module -> the first-party modules it imports (names that are not modules are dropped,
    parent packages included since importing a.b runs a/__init__.py)."""
    files = {module_name(p): p for pkg in FIRST_PARTY for p in python_files(pkg)}
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        edges: set[str] = set()
        for _, name in imported_names(path.read_text(), module, is_package=path.name == "__init__.py"):
            if top_level(name) not in FIRST_PARTY:
                continue
            parts = name.split(".")
            edges.update(".".join(parts[:i]) for i in range(1, len(parts) + 1) if ".".join(parts[:i]) in files)
        graph[module] = edges - {module}
    return graph


def import_chain(graph: dict[str, set[str]], start: str, forbidden: set[str]) -> list[str] | None:
    """The shortest chain of imports from `start` to a module of a forbidden package, or None."""
    paths = {start: [start]}
    queue = [start]
    while queue:
        module = queue.pop(0)
        for target in sorted(graph.get(module, ())):
            if target in paths:
                continue
            paths[target] = paths[module] + [target]
            if top_level(target) in forbidden:
                return paths[target]
            queue.append(target)
    return None


# --- The rules ---------------------------------------------------------------------------


@pytest.mark.parametrize("target, forbidden", RULES, ids=[t for t, _ in RULES])
def test_no_direct_import_across_a_boundary(target, forbidden):
    assert python_files(target), f"nothing to check under {target}"

    assert violations(target, forbidden) == []


@pytest.mark.parametrize("target, forbidden", RULES, ids=[t for t, _ in RULES])
def test_no_chain_of_imports_across_a_boundary(target, forbidden):
    graph = first_party_graph()
    starts = [module_name(p) for p in python_files(target)]
    assert starts and all(s in graph for s in starts)

    chains = [chain for s in starts if (chain := import_chain(graph, s, forbidden))]

    assert chains == [], "\n".join(" -> ".join(c) for c in chains)


NOTIFIED_BY = {"stores", "reports", "alerts"}


def _notifications_code() -> list[Path]:
    return [p for p in python_files("notifications") if "tests" not in p.relative_to(ROOT).parts]


def test_notifications_imports_none_of_the_apps_that_notify():
    assert _notifications_code()  # the rule reads real files
    found = violations("notifications", NOTIFIED_BY)

    assert [line for line in found if not line.startswith("notifications/tests/")] == []
    assert any(line.startswith("notifications/tests/") for line in found)  # the rule sees a real import


def test_no_chain_of_imports_leads_from_notifications_to_the_apps_that_notify():
    graph = first_party_graph()
    starts = [module_name(p) for p in _notifications_code()]
    assert "notifications.services" in starts and all(s in graph for s in starts)

    chains = [chain for s in starts if (chain := import_chain(graph, s, NOTIFIED_BY))]

    assert chains == [], "\n".join(" -> ".join(c) for c in chains)
    assert "brands.audit" in graph["notifications.services"]  # the graph sees its real edges


def test_reports_does_import_stores():
    """The other direction is allowed and used: the graph sees real edges (so an empty graph cannot pass)."""
    graph = first_party_graph()

    assert "stores.models" in graph["reports.selectors"]
    assert import_chain(graph, "reports.store_views", {"stores"}) is not None
    assert import_chain(graph, "alerts.services", {"reports"}) is not None
    assert import_chain(graph, "alerts.receivers", {"stores"}) is not None


# --- The checker itself --------------------------------------------------------------------

FLAGGED = [
    "import reports",
    "import reports.engine",
    "import reports.engine as e",
    "import os, reports.svg",
    "from reports import engine",
    "from reports.timeline import store_timeline",
    "from reports.serializers import *",
    "def f():\n    from reports import svg",
    "if TYPE_CHECKING:\n    from reports.engine import FleetInput",
    "try:\n    import reports\nexcept ImportError:\n    pass",
    "import importlib\nimportlib.import_module('reports.engine')",
    "from importlib import import_module\nimport_module('reports')",
    "__import__('reports.svg')",
    "from django.utils.module_loading import import_string\nimport_string('reports.svg.week_svg')",
    "from django.apps import apps\napps.get_model('reports', 'Report')",
    "from django.apps import apps\napps.get_model('reports.Report')",
    "apps.get_app_config('reports')",
    "from django.db import models\nclass A(models.Model):\n    r = models.ForeignKey('reports.Report', models.CASCADE)",
    "from unittest import mock\nwith mock.patch('reports.engine.compute_fleet'):\n    pass",
    "from .... import reports",  # beyond the top level: not an import that can work
]
ALLOWED = [
    "import stores.models",
    "from stores import selectors",
    "from . import selectors",
    "from .. import models",
    "from .reports import x",  # stores.tests.reports, not the reports app
    "from ..reports import x",  # stores.reports
    "import reportsx",
    "from reporting import reports",
    "'''reports/engine.py does the arithmetic'''",
    "x = 'reports.engine'",
    "print('reports')",
    "from loopmonitor.api import ErrorSerializer",
]


@pytest.mark.parametrize("source", FLAGGED)
def test_the_checker_flags(source):
    names = [name for _, name in imported_names(source, "stores.tests.test_x")]

    assert any(top_level(n) == "reports" or n == "<invalid relative import>" for n in names), names


@pytest.mark.parametrize("source", ALLOWED)
def test_the_checker_allows(source):
    names = [name for _, name in imported_names(source, "stores.tests.test_x")]

    assert not any(top_level(n) == "reports" or n == "<invalid relative import>" for n in names), names


def test_the_checker_fails_on_a_file_that_imports_reports(tmp_path, monkeypatch):
    # given: a stores tree with one offending module, and one reaching reports through loopmonitor
    for name, text in {
        "stores/__init__.py": "",
        "stores/ok.py": "from stores import models\n",
        "stores/bad.py": "x = 1\nfrom reports.engine import compute_fleet\n",
        "stores/indirect.py": "from loopmonitor import glue\n",
        "loopmonitor/__init__.py": "",
        "loopmonitor/glue.py": "import reports.svg\n",
        "reports/__init__.py": "",
        "reports/svg.py": "",
        "reports/engine.py": "",
    }.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    monkeypatch.setattr(f"{__name__}.ROOT", tmp_path)

    # when
    direct = violations("stores", {"reports"})
    chain = import_chain(first_party_graph(), "stores.indirect", {"reports"})

    # then
    assert direct == ["stores/bad.py:2 imports reports.engine", "stores/bad.py:2 imports reports.engine.compute_fleet"]
    assert chain == ["stores.indirect", "loopmonitor.glue", "reports"]


def test_module_names_and_relative_imports_resolve_like_python():
    assert module_name(ROOT / "stores/tests/test_x.py") == "stores.tests.test_x"
    assert module_name(ROOT / "stores/__init__.py") == "stores"
    assert [n for _, n in imported_names("from .. import models", "stores.tests.test_x")] == [
        "stores",
        "stores.models",
    ]
    assert [n for _, n in imported_names("from . import views", "stores", is_package=True)] == [
        "stores",
        "stores.views",
    ]
