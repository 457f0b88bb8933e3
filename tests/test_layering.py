"""Imports run one way: errors/config → warehouse → ingest/analytics → services → shells."""

from __future__ import annotations

import ast
from pathlib import Path

import bizsight

PACKAGE = Path(bizsight.__file__).parent
LAYERS = {
    "errors": 0,
    "console": 0,
    "config": 1,
    "warehouse": 2,
    "ingest": 3,
    "metrics": 3,
    "analytics": 3,
    "demo": 3,
    "app": 4,
    "reports": 4,
    "alerts": 4,
    "services": 5,
    "terminal": 6,
    "cli": 6,
    "api": 6,
    "web": 6,
    "__main__": 7,
    "__init__": 7,
}


def layer_of(module: str) -> int:
    return LAYERS[module.split(".")[1]]


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("bizsight."):
            found.add(node.module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith("bizsight."))
    return found


def test_every_module_belongs_to_a_layer() -> None:
    tops = {p.relative_to(PACKAGE).parts[0].removesuffix(".py") for p in PACKAGE.rglob("*.py")}
    assert tops <= set(LAYERS), f"modules without a layer: {tops - set(LAYERS)}"


def test_no_module_imports_a_higher_layer() -> None:
    violations = []
    for path in PACKAGE.rglob("*.py"):
        module = "bizsight." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts)
        for imported in imports(path):
            if layer_of(imported) > layer_of(module):
                violations.append(f"{module} imports {imported}")
    assert not violations, "\n".join(violations)


def test_errors_imports_nothing_from_the_package() -> None:
    assert imports(PACKAGE / "errors.py") == set()
