"""Dependencies point one way: the planner never imports httpx or duckdb; the API never sqlglot or duckdb."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mjquery"

FORBIDDEN = {
    "planner": {"httpx", "duckdb", "mjquery.api", "mjquery.engine", "mjquery.dbapi"},
    "api": {"sqlglot", "duckdb", "mjquery.planner", "mjquery.engine"},
    "engine": {"sqlglot", "httpx", "mjquery.dbapi"},
}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_layers(package: str) -> None:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, f"mjquery/{package} has no modules"
    offenders = []
    for path in files:
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    assert offenders == []
