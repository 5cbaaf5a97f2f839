"""Golden planner tests: SQL in -> plan (EXPLAIN words and residual SQL) -> requests -> rows.

Each ``tests/planner_golden/*.txt`` file holds a title comment, the SQL, an optional ``setup``
(local statements run first), and the expected:

- ``plan``: the EXPLAIN lines (requests, parameters, pushdown of every predicate, residual SQL);
- ``requests``: the requests the sandbox served when the statement ran (sorted; paging included),
  so a pushdown that the plan promises but the engine forgets fails here;
- ``rows``: the result's columns and whether it has rows (values are compared with the
  sandbox's own data in ``test_engine_results.py``, so the demo data can evolve).

Regenerate after a deliberate change with ``MJQUERY_UPDATE_GOLDEN=1 pytest tests/test_planner_golden.py``
and review the diff.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import mjquery
from mjquery.planner import explain_lines
from mjquery.sandbox import Sandbox

GOLDEN = Path(__file__).parent / "planner_golden"
UPDATE = os.environ.get("MJQUERY_UPDATE_GOLDEN") == "1"
SECTIONS = ("sql", "setup", "plan", "requests", "rows")


def read_golden(path: Path) -> tuple[str, dict[str, str]]:
    title_lines: list[str] = []
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in path.read_text().splitlines():
        if line.startswith("-- ") and line[3:].strip() in SECTIONS:
            current = sections.setdefault(line[3:].strip(), [])
        elif current is None:
            title_lines.append(line.lstrip("# "))
        else:
            current.append(line)
    return " ".join(title_lines).strip(), {k: "\n".join(v).strip() for k, v in sections.items()}


def write_golden(path: Path, title: str, sections: dict[str, str]) -> None:
    parts = [f"# {title}"]
    for name in SECTIONS:
        if name in sections:
            parts.append(f"-- {name}\n{sections[name]}")
    path.write_text("\n".join(parts) + "\n")


def logged(demo_sandbox: Sandbox) -> str:
    lines = []
    for request in demo_sandbox.log:
        query = "&".join(f"{k}={v}" for k, v in request.params)
        status = "" if request.status == 200 else f" -> {request.status}"
        lines.append(f"{request.method} {request.path}{'?' + query if query else ''}{status}")
    return "\n".join(sorted(lines)) if lines else "(none)"


def rows_text(cursor: mjquery.Cursor) -> str:
    rows = cursor.fetchall()
    names = " | ".join(d[0] for d in cursor.description)
    return f"{names}\n({'some rows' if rows else 'no rows'})"


@pytest.mark.parametrize("path", sorted(GOLDEN.glob("*.txt")), ids=lambda p: p.stem)
def test_golden(path: Path, demo_sandbox: Sandbox) -> None:
    title, sections = read_golden(path)
    with mjquery.connect(sandbox=demo_sandbox, cache_ttl=0) as conn:
        cursor = conn.cursor()
        for statement in filter(None, (s.strip() for s in sections.get("setup", "").split(";"))):
            cursor.execute(statement)
        plan = conn.engine.plan(sections["sql"], None, prefix="t")
        actual = {"sql": sections["sql"], "plan": "\n".join(explain_lines(plan))}
        if "setup" in sections:
            actual["setup"] = sections["setup"]
        demo_sandbox.log.clear()
        cursor.execute(sections["sql"])
        actual["requests"] = logged(demo_sandbox)
        actual["rows"] = rows_text(cursor)
    if UPDATE:
        write_golden(path, title, actual)
        return
    assert actual["plan"] == sections.get("plan"), f"{path.name}: plan differs"
    assert actual["requests"] == sections.get("requests"), f"{path.name}: requests differ"
    assert actual["rows"] == sections.get("rows"), f"{path.name}: rows differ"
