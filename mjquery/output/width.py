"""How many terminal columns text takes: CJK characters and most emoji take two, combining
marks none (``wcwidth``), so tables line up whatever the script.

``wcwidth`` is imported the first time a text is not plain printable ASCII: loading its tables
takes a noticeable share of a one-line command's start-up, and most results never need them.
"""

from __future__ import annotations

ELLIPSIS = "…"


def display_width(text: str) -> int:
    """Columns ``text`` takes on a terminal (control characters count as none)."""
    if text.isascii() and text.isprintable():
        return len(text)
    from wcwidth import wcswidth, wcwidth

    width = wcswidth(text)
    if width >= 0:
        return int(width)
    return sum(max(int(wcwidth(ch)), 0) for ch in text)


def clip(text: str, width: int) -> str:
    """``text`` cut to at most ``width`` columns, ending with ``…`` when something was cut."""
    if display_width(text) <= width:
        return text
    from wcwidth import wcwidth

    room = max(0, width - 1)
    taken, used = [], 0
    for ch in text:
        w = max(int(wcwidth(ch)), 0)
        if used + w > room:
            break
        taken.append(ch)
        used += w
    return "".join(taken) + ELLIPSIS


def pad(text: str, width: int, *, right: bool = False) -> str:
    """``text`` padded with spaces to ``width`` columns (on the left when ``right``)."""
    fill = " " * max(0, width - display_width(text))
    return fill + text if right else text + fill


def wrap(text: str, width: int) -> list[str]:
    """``text`` broken into lines of at most ``width`` columns, at spaces where it can."""
    width = max(1, width)
    lines: list[str] = []
    current, used = "", 0
    for word in text.split(" "):
        size = display_width(word)
        gap = 1 if current else 0
        if used + gap + size <= width:
            current, used = current + " " * gap + word, used + gap + size
            continue
        if current:
            lines.append(current)
            current, used = "", 0
        while size > width:  # a word longer than a line is cut where the line ends
            head = clip(word, width + 1)[:-1] or word[:1]
            lines.append(head)
            word = word[len(head) :]
            size = display_width(word)
        current, used = word, size
    lines.append(current)
    return lines
