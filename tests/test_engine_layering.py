"""Dependencies point one way: front ends → engine → planner / api / schema.

The planner never imports httpx or duckdb; the API never sqlglot or duckdb; the core never
imports a front end; the two front ends share ``mjquery.frontend`` and ``mjquery.output``
rather than importing each other; the sandbox shares no code with the rest of mjquery.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "mjquery"

#: What the user talks to: the command, the shell, and the pieces only they use.
FRONT_ENDS = {
    "mjquery.cli",
    "mjquery.shell",
    "mjquery.frontend",
    "mjquery.output",
    "mjquery.config",
}
CORE = ("planner", "engine", "api", "schema", "dbapi", "writes")

FORBIDDEN = {
    "planner": {"httpx", "duckdb", "mjquery.api", "mjquery.engine", "mjquery.dbapi"},
    "api": {"sqlglot", "duckdb", "mjquery.planner", "mjquery.engine"},
    "engine": {"sqlglot", "httpx", "mjquery.dbapi"},
    "shell": {"mjquery.cli"},
    "frontend": {"mjquery.cli", "mjquery.shell"},
    "output": {"mjquery.cli", "mjquery.shell", "mjquery.frontend"},
}
for _core in CORE:
    FORBIDDEN[_core] = FORBIDDEN.get(_core, set()) | FRONT_ENDS


def imported_modules(path: Path) -> set[str]:
    """Every module ``path`` imports, at any depth (imports inside functions count).

    ``from mjquery import config`` counts as importing ``mjquery.config`` as well as ``mjquery``.
    """
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, (
                f"{path}: relative import (the layering check reads absolute ones)"
            )
            assert node.module
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _offenders(package: str) -> list[str]:
    files = sorted((PACKAGE / package).rglob("*.py"))
    assert files, f"mjquery/{package} has no modules"
    offenders = []
    for path in files:
        for name in imported_modules(path):
            if any(name == bad or name.startswith(bad + ".") for bad in FORBIDDEN[package]):
                offenders.append(f"{path.relative_to(PACKAGE.parent)} imports {name}")
    return offenders


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_forbidden_layers(package: str) -> None:
    assert _offenders(package) == []


def test_the_check_sees_imports_inside_functions_and_from_imports(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from mjquery import config\n\ndef f():\n    from mjquery.cli.main import main\n"
    )
    assert {"mjquery.config", "mjquery.cli.main"} <= imported_modules(module)


def _mjquery_imports(path: Path) -> set[str]:
    return {name for name in imported_modules(path) if name.split(".")[0] == "mjquery"}


#: What the sandbox may use from the rest of mjquery: nothing that speaks to or about Mailjet.
#: ``mjquery.cachefiles`` only says where files in the user's cache folder go and how they are
#: written safely (the demo account is kept there as the schema catalog is).
SANDBOX_MAY_IMPORT = ("mjquery.cachefiles",)


def test_sandbox_imports_no_other_mjquery_package() -> None:
    # The sandbox is a stand-in for Mailjet: it must not share code with the client it tests.
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / "sandbox").rglob("*.py"))
        for name in _mjquery_imports(path)
        if not name.startswith("mjquery.sandbox")
        and not any(name == m or name.startswith(m + ".") for m in SANDBOX_MAY_IMPORT)
    ]
    assert offenders == []


def test_demo_account_does_not_import_the_api_it_is_served_by() -> None:
    offenders = [
        f"{path.relative_to(PACKAGE.parent)} imports {name}"
        for path in sorted((PACKAGE / "sandbox" / "demo").rglob("*.py"))
        for name in _mjquery_imports(path)
        if name.startswith("mjquery.sandbox.api")
    ]
    assert offenders == []


def _imports_inside_functions(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for function in ast.walk(tree):
        if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(function):
                if isinstance(node, ast.Import | ast.ImportFrom):
                    found.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}")
    return found


def test_sandbox_imports_sit_at_the_top_of_files() -> None:
    # An import hidden inside a function is how an import ring goes unnoticed.
    hidden = [
        where
        for path in sorted((PACKAGE / "sandbox").rglob("*.py"))
        for where in _imports_inside_functions(path)
    ]
    assert hidden == []
