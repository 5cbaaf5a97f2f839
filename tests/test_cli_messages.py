"""What the command says besides results: information is not a warning, exit statuses follow."""

from __future__ import annotations

import io
import re
from pathlib import Path

import mjquery
from mjquery.cli.main import main

COPY = (
    "COPY (SELECT c.Email, c.Name FROM Contact c JOIN List l ON c.ContactsList = l.ID"
    " WHERE l.Name = 'Newsletter') TO '{path}' (HEADER)"
)


class TerminalStringIO(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_successful_copy_exits_0_without_a_warning(tmp_path: Path) -> None:
    target = tmp_path / "newsletter.csv"
    out, err = io.StringIO(), io.StringIO()
    status = main(["--demo", "-c", COPY.format(path=target)], stdout=out, stderr=err)
    assert status == 0
    assert err.getvalue() == ""  # piped: no info line at all
    assert out.getvalue() == ""
    assert target.read_text().splitlines()[0] == "Email,Name"
    assert len(target.read_text().splitlines()) == 1091


def test_on_a_terminal_the_copy_says_what_it_wrote_as_information(tmp_path: Path) -> None:
    target = tmp_path / "newsletter.csv"
    err = TerminalStringIO()
    status = main(["--demo", "-c", COPY.format(path=target)], stdout=io.StringIO(), stderr=err)
    assert status == 0
    assert f"mjquery: 1090 rows written to {target}\n" in err.getvalue()
    assert "warning" not in err.getvalue()


def test_the_cursor_keeps_the_copy_report_as_a_notice_not_a_warning(tmp_path: Path) -> None:
    target = tmp_path / "lists.csv"
    with mjquery.connect(demo=True) as connection:
        cursor = connection.cursor()
        cursor.execute(f"COPY (SELECT Name FROM List) TO '{target}' (HEADER)")
        assert cursor.messages == []
        assert cursor.notices == [f"7 rows written to {target}"]
        assert cursor.rowcount == 7


EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_a_number_looking_param_is_text_where_the_column_is_text() -> None:
    out, err = io.StringIO(), io.StringIO()
    argv = ["run", str(EXAMPLES / "list_members.sql"), "--demo", "--param", "list_name=42"]
    assert main([*argv, "-f", "csv"], stdout=out, stderr=err) == 0, err.getvalue()
    assert out.getvalue() == "Email,Name,SubscribedAt,IsUnsubscribed\n"  # no list is called 42


def test_a_count_param_is_a_number_and_is_pushed_to_the_api(tmp_path: Path) -> None:
    report = tmp_path / "first.sql"
    report.write_text("SELECT Email FROM Contact ORDER BY ID LIMIT :n;")
    out, err = io.StringIO(), io.StringIO()
    assert (
        main(["run", str(report), "--demo", "-p", "n=3", "-f", "csv", "-v"], stdout=out, stderr=err)
        == 0
    )
    assert len(out.getvalue().splitlines()) == 4
    assert "1 API request" in err.getvalue()


def test_errors_never_show_the_generated_sql(tmp_path: Path) -> None:
    report = tmp_path / "since.sql"
    report.write_text("SELECT Name FROM List WHERE CreatedAt > :since;")
    out, err = io.StringIO(), io.StringIO()
    status = main(["run", str(report), "--demo", "-p", "since=yesterday"], stdout=out, stderr=err)
    assert status == 1
    message = err.getvalue()
    assert message.startswith("mjquery: error: Conversion Error:") and "yesterday" in message
    assert "LINE" not in message and "FROM list AS" not in message
    assert not re.search(r"\bmjq\d", message)  # no internal table name


def test_export_of_a_statement_that_is_not_a_select_says_what_export_takes(
    tmp_path: Path,
) -> None:
    out, err = io.StringIO(), io.StringIO()
    target = tmp_path / "x.csv"
    status = main(
        ["--demo", "export", "DELETE FROM List", "-o", str(target)], stdout=out, stderr=err
    )
    assert status == 1
    assert err.getvalue() == (
        "mjquery: error: export needs a SELECT or a table name: "
        'mjquery export "SELECT Email, Name FROM Contact" -o contacts.csv\n'
    )
    assert not target.exists()


def test_an_output_file_in_a_missing_directory_is_refused_before_anything_runs(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "nonexistent" / "dir"
    for argv in (
        ["--demo", "export", "List", "-o", str(missing / "x.csv")],
        ["--demo", "-c", "SELECT 1", "-o", str(missing / "x.csv")],
    ):
        out, err = io.StringIO(), io.StringIO()
        assert main(argv, stdout=out, stderr=err) == 1
        assert err.getvalue() == (
            f"mjquery: error: {missing}: the directory does not exist (for {missing / 'x.csv'})\n"
        )
