"""docs/tables.md is generated from the schema files and must be kept up to date."""

from __future__ import annotations

from pathlib import Path

import mjquery
from mjquery.schema import load_catalog
from mjquery.schema.docs import COMMAND, example_query, main, render

SCHEMAS = Path(mjquery.__file__).resolve().parent.parent / "schemas"
TABLES_MD = Path(mjquery.__file__).resolve().parent.parent / "docs" / "tables.md"


def test_tables_md_is_up_to_date() -> None:
    expected = render(load_catalog(SCHEMAS))
    current = TABLES_MD.read_text(encoding="utf-8") if TABLES_MD.exists() else ""
    assert current == expected, f"docs/tables.md is out of date: run `{COMMAND}`"


def test_every_table_has_a_section_and_an_example() -> None:
    text = render(load_catalog(SCHEMAS))
    for obj in load_catalog(SCHEMAS):
        assert f"\n## {obj.name}\n" in text
        assert f"FROM {obj.name}" in example_query(obj)


def test_generated_examples_give_what_the_table_requires() -> None:
    catalog = load_catalog(SCHEMAS)
    for obj in catalog:
        query = example_query(obj)
        for pseudo in obj.required_pseudo_columns:
            assert pseudo.name in query, (obj.name, pseudo.name)
        if obj.parent is not None:
            assert obj.parent.column in query, obj.name


def test_pushdown_rows_say_exact_or_rechecked() -> None:
    text = render(load_catalog(SCHEMAS))
    section = text.split("\n## Contact\n", 1)[1].split("\n## ", 1)[0]
    assert "| `Email LIKE 'v%'` | `EmailLLike` | re-checked |" in section
    assert "| `IsExcludedFromCampaigns = v` | `IsExcludedFromCampaigns` | exact |" in section
    assert "- **INSERT**: **`Email`**, `Name`, `IsExcludedFromCampaigns`" in section


def test_check_mode_reports_a_stale_file(tmp_path: Path, capsys) -> None:
    stale = tmp_path / "tables.md"
    stale.write_text("old\n", encoding="utf-8")
    assert main(["--check", "--output", str(stale)]) == 1
    assert COMMAND in capsys.readouterr().err
    assert main(["--output", str(stale)]) == 0
    assert main(["--check", "--output", str(stale)]) == 0
