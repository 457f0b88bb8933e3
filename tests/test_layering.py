"""Imports run one way: errors/config → warehouse → ingest/metrics/analytics → app → services →
serving → the shells (api, web) → the app that mounts them (server) → the command line. No shell
imports another, and no module imports a higher layer, in any form of import."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import bizsight

PACKAGE = Path(bizsight.__file__).parent
LAYERS = {
    "errors": 0,
    "console": 0,
    "config": 1,
    "presentation": 1,  # numbers as text: units, currency, locale
    "warehouse": 2,
    "ingest": 3,
    "metrics": 3,
    "analytics": 3,
    "demo": 3,
    "app": 4,
    "reports": 4,
    "alerts": 4,
    "delivery": 4,  # channels out of bizsight: email, webhooks, Slack, Teams
    "services": 5,
    "serving": 6,  # what the API and the pages share: state, request dependencies, error bodies
    "terminal": 6,  # what the command line draws with
    "api": 7,
    "web": 7,
    "server": 8,  # the app that mounts the API and the pages
    "cli": 9,
    "__main__": 10,
    "__init__": 10,
}
SHELLS = {"api", "web", "cli"}


def top(module: str) -> str:
    """``bizsight.api.routes.jobs`` → ``api``; the package itself is its ``__init__``."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(("bizsight", *parts))


def imports(source: str, module: str, is_package: bool = False) -> set[str]:
    """Every bizsight module ``source`` imports: ``import bizsight.x``, ``from bizsight.x import
    y``, ``from bizsight import x``, relative imports, and ``importlib.import_module("bizsight.x")``,
    at the top or inside functions.

    >>> sorted(imports("from .. import errors\\nfrom .deps import Guard", "bizsight.api.routes"))
    ['bizsight.api.deps', 'bizsight.errors']
    """
    package = module if is_package else module.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, *([base] if base else [])])
            if base == "bizsight" or (node.level and not node.module):
                found.update(f"{base}.{alias.name}" for alias in node.names)
            else:
                found.add(base)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None)) == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.add(node.args[0].value)
    return {name for name in found if name.startswith("bizsight.")}


def violations(module: str, imported: set[str]) -> list[str]:
    """What is wrong with ``module`` importing ``imported``."""
    wrong = []
    for name in sorted(imported):
        mine, theirs = top(module), top(name)
        if mine == theirs:
            continue
        if mine in SHELLS and theirs in SHELLS:
            wrong.append(f"{module} imports {name}: one shell imports another")
        elif LAYERS[theirs] > LAYERS[mine]:
            wrong.append(f"{module} imports {name}: a higher layer")
    return wrong


def every_module() -> list[tuple[str, Path]]:
    return [(module_name(path), path) for path in sorted(PACKAGE.rglob("*.py"))]


def test_every_module_belongs_to_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert tops <= set(LAYERS), f"modules without a layer: {tops - set(LAYERS)}"


def test_no_module_imports_a_higher_layer_or_another_shell() -> None:
    wrong = []
    for module, path in every_module():
        is_package = path.name == "__init__.py"
        name = module.removesuffix(".__init__")
        wrong += violations(name, imports(path.read_text(), name, is_package))
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("bizsight.api", "from bizsight.web.routes import router", "one shell imports another"),
        ("bizsight.web.routes", "from bizsight.api.deps import StateDep", "one shell imports another"),
        ("bizsight.api.routes.jobs", "from ...web import routes", "one shell imports another"),
        ("bizsight.services.query", "from bizsight import api", "a higher layer"),
        ("bizsight.services.query", "import bizsight.server", "a higher layer"),
        (
            "bizsight.metrics.compiler",
            "import importlib\nimportlib.import_module('bizsight.services.x')",
            "a higher layer",
        ),
        ("bizsight.warehouse.sql", "def f():\n    from bizsight.ingest import loader", "a higher layer"),
    ],
)
def test_each_form_of_a_wrong_import_is_caught(module: str, source: str, problem: str) -> None:
    found = violations(module, imports(source, module))
    assert found and problem in found[0]


def test_errors_imports_nothing_from_the_package() -> None:
    assert imports((PACKAGE / "errors.py").read_text(), "bizsight.errors") == set()
