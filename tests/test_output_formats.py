"""The output formats, on plain Python values (no DB-API, no terminal)."""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import io
import json

import pytest

from mjquery.output import Layout, OutputFormat, ResultSet, write_result

COLUMNS = ("Name", "SubscriberCount", "CreatedAt")
ROWS = [
    ("Newsletter", 1200, dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("VIP | gold", 7, None),
    ('Quote "q", comma', None, dt.datetime(2023, 5, 6)),
]


def render(fmt: OutputFormat, rows=ROWS, columns=COLUMNS, layout: Layout | None = None) -> str:
    out = io.StringIO()
    count = write_result(ResultSet(columns, iter(rows)), fmt, out, layout or Layout())
    assert count == len(rows)
    return out.getvalue()


def test_table_aligns_columns_and_right_aligns_numbers() -> None:
    text = render(OutputFormat.TABLE)
    lines = text.splitlines()
    assert lines[0] == " Name             | SubscriberCount | CreatedAt"
    assert lines[1] == "------------------+-----------------+---------------------"
    assert lines[2] == " Newsletter       |            1200 | 2024-01-02 03:04:05"
    assert lines[3] == " VIP | gold       |               7 | NULL"
    assert lines[4] == ' Quote "q", comma |            NULL | 2023-05-06 00:00:00'


def test_table_escapes_newlines() -> None:
    text = render(OutputFormat.TABLE, rows=[("a\nb", "x" * 50)], columns=("A", "B"))
    assert text.splitlines()[2] == " a\\nb | " + "x" * 50


def test_a_table_fitted_to_a_width_shortens_only_its_widest_columns() -> None:
    rows = [("Newsletter", "x" * 60, 7, "y" * 40)]
    text = render(
        OutputFormat.TABLE, rows=rows, columns=("A", "B", "C", "D"), layout=Layout(width=60)
    )
    lines = text.splitlines()
    assert all(len(line) <= 60 for line in lines)
    assert lines[2].startswith(" Newsletter | xxxx")  # the narrow column keeps its width
    assert "…" in lines[2] and " 7 " in lines[2]
    # a table that fits is never shortened
    assert "…" not in render(OutputFormat.TABLE, layout=Layout(width=200))


def test_wrapped_cells_continue_on_the_next_lines() -> None:
    rows = [("Contact", "the people you send email to, with their properties")]
    text = render(
        OutputFormat.TABLE,
        rows=rows,
        columns=("Table", "Description"),
        layout=Layout(width=31, wrap=True),
    )
    assert text.splitlines()[2:] == [
        " Contact | the people you send",
        "         | email to, with",
        "         | their properties",
    ]


def test_wrapped_cells_never_break_a_word_and_names_stay_whole() -> None:
    rows = [("CampaignDraftDetailContent", "campaigndraft/detailcontent", "the content of a draft")]
    columns = ("Table", "Resource", "Description")
    # room for every whole word: a table whose prose wraps between words
    lines = render(
        OutputFormat.TABLE, rows=rows, columns=columns, layout=Layout(width=75, wrap=True)
    ).splitlines()
    assert max(len(line) for line in lines) <= 75
    assert lines[2].startswith(" CampaignDraftDetailContent | campaigndraft/detailcontent | ")
    assert [line.split("|")[2].strip() for line in lines[2:]] == ["the content of", "a draft"]
    # no room for the names whole: one record per row, long values wrapped under each other
    lines = render(
        OutputFormat.TABLE, rows=rows, columns=columns, layout=Layout(width=42, wrap=True)
    ).splitlines()
    assert lines == [
        "-[ RECORD 1 ]" + "-" * 28,  # as wide as the widest line
        "Table       | CampaignDraftDetailContent",
        "Resource    | campaigndraft/detailcontent",
        "Description | the content of a draft",
    ]
    assert max(len(line) for line in lines) <= 42


def test_display_width_aligns_cjk_and_emoji() -> None:
    rows = [("日本語", 1), ("😀 ok", 22), ("plain", 333)]
    lines = render(OutputFormat.TABLE, rows=rows, columns=("Name", "N")).splitlines()
    # every | sits in the same terminal column: CJK characters and the emoji take two
    assert lines == [
        " Name   |   N",
        "--------+-----",
        " 日本語 |   1",
        " 😀 ok  |  22",
        " plain  | 333",
    ]


def test_expanded_display_is_psql_s() -> None:
    text = render(
        OutputFormat.TABLE,
        rows=[("Newsletter", 1090), ("VIP", None)],
        columns=("Name", "SubscriberCount"),
        layout=Layout(expanded=True),
    )
    assert text.splitlines() == [
        "-[ RECORD 1 ]---+-----------",
        "Name            | Newsletter",
        "SubscriberCount | 1090",
        "-[ RECORD 2 ]---+-----------",
        "Name            | VIP",
        "SubscriberCount | NULL",
    ]


def test_headers_off_leaves_the_rows_only() -> None:
    assert render(OutputFormat.CSV, layout=Layout(headers=False)).splitlines()[0] == (
        "Newsletter,1200,2024-01-02 03:04:05"
    )
    assert (
        render(OutputFormat.TABLE, layout=Layout(headers=False))
        .splitlines()[0]
        .startswith(" Newsletter")
    )


def test_csv_round_trips_through_the_csv_module() -> None:
    parsed = list(csv.reader(io.StringIO(render(OutputFormat.CSV))))
    assert parsed[0] == list(COLUMNS)
    assert parsed[2] == ["VIP | gold", "7", ""]
    assert parsed[3] == ['Quote "q", comma', "", "2023-05-06 00:00:00"]


def test_tsv_uses_tabs() -> None:
    lines = render(OutputFormat.TSV).splitlines()
    assert lines[0] == "Name\tSubscriberCount\tCreatedAt"
    assert lines[1] == "Newsletter\t1200\t2024-01-02 03:04:05"


def test_json_is_an_array_of_objects_with_native_types() -> None:
    data = json.loads(render(OutputFormat.JSON))
    assert data[0] == {
        "Name": "Newsletter",
        "SubscriberCount": 1200,
        "CreatedAt": "2024-01-02T03:04:05",
    }
    assert data[1]["CreatedAt"] is None


def test_json_of_no_rows_is_an_empty_array() -> None:
    assert json.loads(render(OutputFormat.JSON, rows=[])) == []


def test_json_keeps_big_ids_exact_and_writes_nan_as_null() -> None:
    text = render(
        OutputFormat.JSONL,
        rows=[(2**60 + 1, float("nan"), decimal.Decimal("2.50"))],
        columns=("ID", "Ratio", "Price"),
    )
    assert json.loads(text) == {"ID": 2**60 + 1, "Ratio": None, "Price": 2.5}


def test_jsonl_is_one_object_per_line() -> None:
    lines = render(OutputFormat.JSONL).splitlines()
    assert len(lines) == 3
    assert json.loads(lines[2])["Name"] == 'Quote "q", comma'


def test_markdown_escapes_pipes_and_right_aligns_numbers() -> None:
    lines = render(OutputFormat.MARKDOWN).splitlines()
    assert lines[0] == "| Name | SubscriberCount | CreatedAt |"
    assert lines[1] == "| --- | ---: | --- |"
    assert lines[3] == "| VIP \\| gold | 7 |  |"


@pytest.mark.parametrize("text", ["CSV", " json ", "Markdown"])
def test_format_names_are_case_insensitive(text: str) -> None:
    assert OutputFormat.parse(text).value == text.strip().lower()


def test_unknown_format_names_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of table, csv, tsv, json, jsonl, markdown"):
        OutputFormat.parse("xml")
