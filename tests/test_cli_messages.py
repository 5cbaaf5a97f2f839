"""What the command says besides results: information is not a warning, exit statuses follow."""

from __future__ import annotations

import io
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
