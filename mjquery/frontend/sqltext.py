"""Small lexical helpers over SQL text, shared by the command and the shell.

These do not parse SQL (the planner does, with sqlglot). They only need to know where strings,
quoted names and comments are, so that a ``;`` or a ``:name`` inside them is left alone:
splitting a file into statements, telling whether the shell's buffer holds a complete statement,
finding named parameters and rewriting their markers into the DB-API's paramstyle. Values are
never written into the SQL text: they travel as DB-API parameters.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mjquery.errors import ProgrammingError


class TokenKind(enum.Enum):
    WORD = "word"  # keyword or bare name
    QUOTED = "quoted"  # "quoted name" or `quoted name`
    STRING = "string"  # 'string literal' (also E'..', $$..$$)
    COMMENT = "comment"
    PARAMETER = "parameter"  # :name
    NUMBER = "number"
    SPACE = "space"
    SYMBOL = "symbol"  # everything else: ; , ( ) = . * ::


@dataclass(frozen=True)
class Token:
    kind: TokenKind
    text: str
    start: int

    @property
    def end(self) -> int:
        return self.start + len(self.text)

    @property
    def upper(self) -> str:
        return self.text.upper()


_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$]*")
_NUMBER = re.compile(r"\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?")
_SPACE = re.compile(r"\s+")
_PARAMETER = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)")
_DOLLAR = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


def tokenize(text: str) -> Iterator[Token]:
    """Split ``text`` into tokens. An unterminated string or comment runs to the end of text."""
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            m = _SPACE.match(text, i)
            assert m
            yield Token(TokenKind.SPACE, m.group(), i)
            i = m.end()
        elif ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            end = n if end < 0 else end
            yield Token(TokenKind.COMMENT, text[i:end], i)
            i = end
        elif ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            end = n if end < 0 else end + 2
            yield Token(TokenKind.COMMENT, text[i:end], i)
            i = end
        elif ch in "'\"`":
            j, _closed_quote = _quote_end(text, i)
            yield Token(TokenKind.STRING if ch == "'" else TokenKind.QUOTED, text[i:j], i)
            i = j
        elif ch == "$" and (m := _DOLLAR.match(text, i)):
            close = text.find(m.group(), m.end())
            end = n if close < 0 else close + len(m.group())
            yield Token(TokenKind.STRING, text[i:end], i)
            i = end
        elif ch == ":" and text.startswith("::", i):
            yield Token(TokenKind.SYMBOL, "::", i)
            i += 2
        elif ch == ":" and (m := _PARAMETER.match(text, i)):
            yield Token(TokenKind.PARAMETER, m.group(), i)
            i = m.end()
        elif m := _WORD.match(text, i):
            yield Token(TokenKind.WORD, m.group(), i)
            i = m.end()
        elif m := _NUMBER.match(text, i):
            yield Token(TokenKind.NUMBER, m.group(), i)
            i = m.end()
        else:
            yield Token(TokenKind.SYMBOL, ch, i)
            i += 1


def _is_code(token: Token) -> bool:
    return token.kind not in (TokenKind.SPACE, TokenKind.COMMENT)


def split_statements(text: str) -> list[str]:
    """The statements of ``text``, split at ``;`` outside strings and comments.

    Each statement keeps its comments and loses its ``;``; pieces that hold only comments and
    spaces are dropped.
    """
    statements: list[str] = []
    start = 0
    has_code = False
    for token in tokenize(text):
        if token.kind is TokenKind.SYMBOL and token.text == ";":
            if has_code:
                statements.append(text[start : token.start].strip())
            start, has_code = token.end, False
        elif _is_code(token):
            has_code = True
    if has_code:
        statements.append(text[start:].strip())
    return statements


def is_complete(text: str) -> bool:
    """Whether the text ends a statement: its last code token is ``;`` outside strings/comments.

    An unterminated string or block comment is never complete, whatever it ends with.
    """
    last: Token | None = None
    for token in tokenize(text):
        if _is_code(token):
            last = token
        elif (
            token.kind is TokenKind.COMMENT
            and token.text.startswith("/*")
            and not token.text.endswith("*/")
        ):
            return False
    if last is None:
        return False
    if last.kind in (TokenKind.STRING, TokenKind.QUOTED) and not _closed(last.text):
        return False
    return last.kind is TokenKind.SYMBOL and last.text == ";"


def _quote_end(text: str, i: int) -> tuple[int, bool]:
    """Where the quoted literal opening at ``i`` ends, and whether its closing quote was found."""
    quote, j, n = text[i], i + 1, len(text)
    while j < n:
        if text[j] == quote:
            if j + 1 < n and text[j + 1] == quote:  # a doubled quote is an escaped quote
                j += 2
                continue
            return j + 1, True
        j += 1
    return n, False


def _closed(literal: str) -> bool:
    if literal.startswith("$"):
        m = _DOLLAR.match(literal)
        if m is None:
            return False
        return len(literal) >= 2 * len(m.group()) and literal.endswith(m.group())
    return _quote_end(literal, 0)[1]


def code_tokens(text: str) -> list[Token]:
    """The tokens of ``text`` without spaces and comments."""
    return [t for t in tokenize(text) if _is_code(t)]


def parameter_names(text: str) -> list[str]:
    """The distinct ``:name`` parameters of ``text``, in order of first use."""
    seen: dict[str, None] = {}
    for token in tokenize(text):
        if token.kind is TokenKind.PARAMETER:
            seen.setdefault(token.text[1:], None)
    return list(seen)


@dataclass(frozen=True)
class BoundStatement:
    """SQL text with parameter markers in the DB-API's paramstyle, and the parameters to pass."""

    sql: str
    parameters: dict[str, Any] | list[Any] | None


def bind_parameters(text: str, values: Mapping[str, Any], paramstyle: str) -> BoundStatement:
    """Rewrite ``:name`` markers into ``paramstyle`` and collect their values (see
    :func:`typed_values` for a count given as text).

    Only markers change; the values are handed to ``cursor.execute`` as parameters. A marker
    without a value is a ProgrammingError that says how to give one.
    """
    names = parameter_names(text)
    values = typed_values(text, values)
    missing = [n for n in names if n not in values]
    if missing:
        hint = " ".join(f"--param {n}=VALUE" for n in missing)
        plural = "s" if len(missing) > 1 else ""
        raise ProgrammingError(
            f"no value for parameter{plural} {', '.join(':' + n for n in missing)}; pass {hint}"
        )
    if not names:
        return BoundStatement(text, None)
    if paramstyle == "named":
        return BoundStatement(text, {n: values[n] for n in names})

    pieces: list[str] = []
    positional: list[Any] = []
    for token in tokenize(text):
        if token.kind is not TokenKind.PARAMETER:
            piece = token.text
            # In the percent styles a literal % must be doubled, even inside strings.
            if paramstyle in ("pyformat", "format"):
                piece = piece.replace("%", "%%")
            pieces.append(piece)
            continue
        name = token.text[1:]
        if paramstyle == "qmark":
            pieces.append("?")
            positional.append(values[name])
        elif paramstyle == "format":
            pieces.append("%s")
            positional.append(values[name])
        elif paramstyle == "numeric":
            pieces.append(f":{names.index(name) + 1}")
        elif paramstyle == "pyformat":
            pieces.append(f"%({name})s")
        else:
            raise ProgrammingError(f"unsupported DB-API paramstyle {paramstyle!r}")
    sql = "".join(pieces)
    if paramstyle == "numeric":
        return BoundStatement(sql, [values[n] for n in names])
    if paramstyle == "pyformat":
        return BoundStatement(sql, {n: values[n] for n in names})
    return BoundStatement(sql, positional)


def counted_parameters(text: str) -> set[str]:
    """The ``:name`` markers that stand where SQL wants a count: right after LIMIT or OFFSET."""
    counted: set[str] = set()
    previous: Token | None = None
    for token in code_tokens(text):
        if (
            token.kind is TokenKind.PARAMETER
            and previous is not None
            and previous.kind is TokenKind.WORD
            and previous.upper in ("LIMIT", "OFFSET")
        ):
            counted.add(token.text[1:])
        previous = token
    return counted


def typed_values(text: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``--param`` values as the statement gets them: text, which a comparison converts to the
    type of the column it meets (``WHERE ID = :id``, ``WHERE Name = :name`` with ``42``), except
    a whole number after LIMIT or OFFSET, which must be a number there."""
    counted = counted_parameters(text)
    typed = dict(values)
    for name in counted:
        value = typed.get(name)
        if isinstance(value, str) and re.fullmatch(r"\d+", value.strip()):
            typed[name] = int(value)
    return typed
