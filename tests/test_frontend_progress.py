"""The progress line: rewritten in place on a terminal, gone once the pages are in."""

from __future__ import annotations

import io

from mjquery.frontend.progress import ProgressLine


def on_glass(written: str) -> str:
    """What one terminal line shows after ``written``: ``\\r`` returns, ``ESC[K`` erases."""
    line: list[str] = []
    cursor = 0
    i = 0
    while i < len(written):
        if written.startswith("\x1b[K", i):
            del line[cursor:]
            i += 3
            continue
        ch = written[i]
        if ch == "\r":
            cursor = 0
        else:
            if cursor < len(line):
                line[cursor] = ch
            else:
                line.append(ch)
            cursor += 1
        i += 1
    return "".join(line)


def test_a_shorter_update_leaves_no_characters_of_the_longer_one() -> None:
    stream = io.StringIO()
    progress = ProgressLine(stream)
    progress.pages(14, 20)
    progress.pages(4, 20)  # a new fetch started: shorter text
    assert on_glass(stream.getvalue()) == "fetching: 4/20 pages"


def test_the_line_is_gone_once_the_last_page_is_in() -> None:
    stream = io.StringIO()
    progress = ProgressLine(stream)
    progress.pages(1, None)
    assert on_glass(stream.getvalue()) == "fetching: 1/? pages"
    progress.pages(2, 2)  # DuckDB works next: nothing may stay on the screen
    assert on_glass(stream.getvalue()) == ""
    assert not progress.shown


def test_a_one_page_fetch_shows_nothing() -> None:
    stream = io.StringIO()
    ProgressLine(stream).pages(1, 1)
    assert stream.getvalue() == ""


def test_row_counter_in_a_log_prints_whole_lines_at_most_once_per_interval() -> None:
    stream = io.StringIO()
    count = ProgressLine(stream, terminal=False, interval=3600).counter("importing")
    count(1000, 10000)
    count(2000, 10000)  # within the interval: not printed
    assert stream.getvalue() == "importing: 1,000/10,000 rows\n"


def test_a_rate_limit_notice_in_a_log_is_never_held_back_by_the_interval() -> None:
    stream = io.StringIO()
    progress = ProgressLine(stream, terminal=False, interval=3600)
    progress.counter("exporting")(1000, 0)
    progress.notice("rate limited by Mailjet, retrying in 20 s")
    assert stream.getvalue().splitlines() == [
        "exporting: 1,000 rows",
        "rate limited by Mailjet, retrying in 20 s",
    ]
