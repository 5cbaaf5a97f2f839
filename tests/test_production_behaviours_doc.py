"""docs/production-behaviours.md names the test that holds each behaviour: every name is real."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = (ROOT / "docs" / "production-behaviours.md").read_text(encoding="utf-8")
#: Section 5 names tests of the official Python client's suite, not of this project.
OURS = DOC.split("\n## 5.")[0]


def test_every_test_the_note_names_exists() -> None:
    named = set(re.findall(r"\b(test_\w+)`", OURS))
    defined = {
        match
        for path in (ROOT / "tests").glob("test_*.py")
        for match in re.findall(r"^def (test_\w+)\(", path.read_text(encoding="utf-8"), re.M)
    }
    assert len(named) >= 30
    assert sorted(named - defined) == []
