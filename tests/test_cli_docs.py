"""docs/cli.md is generated from --help and must be current; every command documents examples."""

from __future__ import annotations

from pathlib import Path

import pytest

from mjquery.cli.docs import help_text, render_cli_reference

DOC = Path(__file__).resolve().parent.parent / "docs" / "cli.md"


def test_cli_reference_is_up_to_date() -> None:
    assert DOC.read_text(encoding="utf-8") == render_cli_reference(), (
        "docs/cli.md is out of date: run `python -m mjquery.cli.docs > docs/cli.md`"
    )


@pytest.mark.parametrize(
    "command", [(), ("run",), ("tables",), ("describe",), ("export",), ("import",), ("config",)]
)
def test_every_command_has_help_with_examples(command: tuple[str, ...]) -> None:
    text = help_text(command)
    assert "examples:" in text
    assert "mjquery" in text.split("examples:")[1]
