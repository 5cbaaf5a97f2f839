"""End to end: the real ``mjquery`` program in a pseudo-terminal, typing a query with completion.

Each step waits for what the screen shows (tests/terminal.py), never for a fixed pause.
"""

from __future__ import annotations

import re

from tests.terminal import Terminal


def test_typing_a_query_with_completion_prints_the_table() -> None:
    term = Terminal(["--demo"])
    try:
        term.wait_for_prompt()
        term.type("SELECT Name, SubscriberCount FROM Lis")
        term.wait_for(r"mjquery> SELECT Name, SubscriberCount FROM Lis\b")
        term.type("\t")  # completes the common part: List
        term.wait_for(r"FROM List\b")
        term.type(" ORDER BY SubscriberCount DESC;")
        term.wait_for(r"FROM List ORDER BY SubscriberCount DESC;")
        term.type("\r")
        screen = term.wait_for(r"\d+ rows in [0-9.]+ s")
        assert re.search(r" Name +\| SubscriberCount", screen)
        assert re.search(r" Newsletter +\| +1090", screen)
        assert re.search(r"7 rows in [0-9.]+ s · 1 API request", screen)
        term.wait_for_prompt()  # the next prompt is up
        term.type("\x04")  # Ctrl-D
    finally:
        status = term.close()
    assert status == 0
