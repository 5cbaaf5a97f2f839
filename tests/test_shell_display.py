"""How the shell fits a result to the screen (pure: no terminal)."""

from __future__ import annotations

from mjquery.output import OutputFormat, ResultSet
from mjquery.shell.display import Expanded, Screen, show

SUBJECT = "Autumn harvest: our single-origin Ethiopian coffees are back in stock"  # 70 chars
ROWS = [(1, SUBJECT, 1090), (2, "Short", 7)]
COLUMNS = ("ID", "Subject", "Delivered")


def result(rows=ROWS, columns=COLUMNS) -> ResultSet:
    return ResultSet(columns, iter(rows))


def test_a_table_that_fits_the_terminal_is_printed_whole() -> None:
    shown = show(result(), OutputFormat.TABLE, Screen(columns=100, lines=40, pager=True))
    assert not shown.page
    assert SUBJECT in shown.text  # 70 of 100 columns: not cut at half the width


def test_a_wide_table_goes_to_the_pager_which_scrolls_sideways() -> None:
    shown = show(result(), OutputFormat.TABLE, Screen(columns=60, lines=40, pager=True))
    assert shown.page and shown.chop
    assert SUBJECT in shown.text  # nothing is cut: the pager scrolls


def test_without_a_pager_a_wide_table_is_fitted_to_the_terminal_as_a_whole() -> None:
    shown = show(result(), OutputFormat.TABLE, Screen(columns=60, lines=40, pager=False))
    lines = shown.text.splitlines()
    assert not shown.page
    assert max(len(line) for line in lines) <= 60
    assert lines[2].startswith("  1 | Autumn harvest") and lines[2].endswith("|      1090")


def test_explain_s_plan_is_never_cut_or_chopped() -> None:
    plan = [("1. GET /v3/REST/contactslist?Name=Newsletter — " + "x" * 120,), ("2. DuckDB",)]
    for pager in (True, False):
        shown = show(result(plan, ("explain",)), OutputFormat.TABLE, Screen(60, 40, pager=pager))
        assert plan[0][0] in shown.text
        assert not shown.chop


def test_a_tall_result_goes_to_the_pager() -> None:
    rows = [(i, "s", i) for i in range(50)]
    shown = show(result(rows), OutputFormat.TABLE, Screen(columns=100, lines=24, pager=True))
    assert shown.page and not shown.chop


def test_expanded_on_and_auto() -> None:
    on = show(result(), OutputFormat.TABLE, Screen(100, 40, pager=True), expanded=Expanded.ON)
    assert on.text.startswith("-[ RECORD 1 ]")
    auto_narrow = show(
        result(), OutputFormat.TABLE, Screen(100, 40, pager=True), expanded=Expanded.AUTO
    )
    assert auto_narrow.text.startswith(" ID | Subject")  # fits: a table
    auto_wide = show(
        result(), OutputFormat.TABLE, Screen(60, 40, pager=True), expanded=Expanded.AUTO
    )
    assert auto_wide.text.startswith("-[ RECORD 1 ]")
    assert f"Subject   | {SUBJECT}" in auto_wide.text
