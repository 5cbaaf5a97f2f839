"""Syntax errors in plain words, pointing at the token that is wrong.

sqlglot reports what its parser was building when it stopped (``Required keyword: 'this'
missing for <class ...Where>``) and where it stopped, which is often a token after the mistake
(``SELEC Name FROM List`` fails at ``FROM``). :func:`syntax_error` turns that into one sentence a
user can act on — ``unknown keyword SELEC — did you mean SELECT?``, ``expected a condition after
WHERE`` — with the line and column of the offending token (1-based, its first character) and its
text, which front ends underline. DuckDB's own parser messages (for statements DuckDB parses)
get the same treatment in :func:`duckdb_syntax_error`.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from sqlglot.dialects.duckdb import DuckDB
from sqlglot.errors import ParseError, TokenError
from sqlglot.tokenizer_core import Token, TokenType

from mjquery.errors import SqlSyntaxError

#: Words a statement can start with.
STATEMENT_KEYWORDS = (
    "SELECT",
    "WITH",
    "INSERT",
    "UPDATE",
    "DELETE",
    "COPY",
    "EXPLAIN",
    "SHOW",
    "DESCRIBE",
    "CREATE",
    "DROP",
    "ALTER",
    "VALUES",
    "FROM",
    "SUMMARIZE",
    "PRAGMA",
    "SET",
    "TABLE",
)
#: Keywords that are easy to misspell into a name (``FORM``, ``WERE``, ``ORDR``).
CLAUSE_KEYWORDS = (
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "ORDER",
    "BY",
    "HAVING",
    "LIMIT",
    "OFFSET",
    "JOIN",
    "LEFT",
    "RIGHT",
    "INNER",
    "OUTER",
    "CROSS",
    "ON",
    "USING",
    "AND",
    "OR",
    "NOT",
    "BETWEEN",
    "LIKE",
    "ILIKE",
    "UNION",
    "EXCEPT",
    "INTERSECT",
    "VALUES",
    "INTO",
    "DISTINCT",
    "RETURNING",
    "QUALIFY",
)
_CONDITION_AFTER = {"WHERE", "AND", "OR", "NOT", "HAVING", "ON", "WHEN", "QUALIFY"}
_TABLE_AFTER = {"FROM", "JOIN", "INTO", "UPDATE", "TABLE"}
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class _Spot:
    """Where an error is: 1-based line and column of the first character, and the text there."""

    line: int | None
    column: int | None
    text: str | None


def _closest(word: str, keywords: tuple[str, ...], cutoff: float) -> str | None:
    found = difflib.get_close_matches(word.upper(), keywords, n=1, cutoff=cutoff)
    return found[0] if found else None


def _error(sentence: str, spot: _Spot) -> SqlSyntaxError:
    where = (
        f" at line {spot.line}, column {spot.column}"
        if spot.line is not None and spot.column
        else ""
    )
    return SqlSyntaxError(
        f"Syntax error{where}: {sentence}",
        line=spot.line,
        column=spot.column,
        highlight=spot.text,
    )


def _spot(token: Token, sql: str) -> _Spot:
    text = sql[token.start : token.end + 1] or token.text
    line_start = sql.rfind("\n", 0, token.start) + 1
    return _Spot(token.line, token.start - line_start + 1, text)


def _tokens(sql: str) -> list[Token]:
    try:
        return list(DuckDB().tokenize(sql))
    except TokenError:
        return []


def _is_name(token: Token) -> bool:
    """A bare word the tokenizer did not recognise as a keyword (a name, or a misspelling)."""
    return token.token_type is TokenType.VAR and bool(_WORD.fullmatch(token.text))


def _misspelled(token: Token, keywords: tuple[str, ...], cutoff: float) -> str | None:
    if not _is_name(token):
        return None
    return _closest(token.text, keywords, cutoff)


def _described(description: str, token: Token | None, following: Token | None) -> str:
    """The parser's description as a sentence about ``token`` (the last one it read)."""
    word = token.text.upper() if token is not None else ""
    if description.startswith("Expected END after CASE"):
        return "expected END to close the CASE (CASE WHEN ... THEN ... END)"
    if description.startswith("Expected AS after CAST"):
        return "expected AS in CAST (CAST(value AS type))"
    if "'high' missing" in description and "Between" in description:
        return "expected AND after BETWEEN (BETWEEN low AND high)"
    if description.startswith(("Required keyword", "Expected table name")):
        if word in _CONDITION_AFTER:
            return f"expected a condition after {word}"
        if word in _TABLE_AFTER or description.startswith("Expected table name"):
            return f"expected a table name after {word or 'FROM'}"
        if word in ("ORDER BY", "GROUP BY", "PARTITION BY"):
            return f"expected a column or expression after {word}"
        if word == "SELECT":
            return "expected the columns to select after SELECT"
        if token is not None:
            return f"expected an expression after {token.text!r}"
        return "the statement is incomplete"
    if description.startswith("Expecting )"):
        if following is None:
            return "expected ) — a ( is never closed"
        return f"expected ) before {token.text!r}" if token is not None else "expected )"
    if token is not None:
        return f"unexpected {token.text!r}"
    # Nothing to point at: keep the parser's words, without its internals.
    return re.sub(r"\s*<[^>]*>", "", description).strip() or "invalid SQL"


def syntax_error(exc: ParseError | TokenError, sql: str) -> SqlSyntaxError:
    """``exc`` from sqlglot as a :class:`SqlSyntaxError` with one plain sentence."""
    if isinstance(exc, TokenError):
        return _unterminated(sql)
    tokens = _tokens(sql)
    first = exc.errors[0] if exc.errors else {}
    line, col = first.get("line"), first.get("col")
    index = next(
        (i for i, t in enumerate(tokens) if t.line == line and t.col == col),
        None,
    )
    # A statement that starts with an unknown word: SELEC, DELET, UPDTE ...
    if tokens and _is_name(tokens[0]):
        guess = _closest(tokens[0].text, STATEMENT_KEYWORDS, 0.6)
        hint = (
            f" — did you mean {guess}?"
            if guess
            else " (a statement starts with SELECT, WITH, INSERT, UPDATE, DELETE, COPY ...)"
        )
        return _error(f"unknown keyword {tokens[0].text}{hint}", _spot(tokens[0], sql))
    if index is None:
        description = first.get("description") or "invalid SQL"
        spot = _Spot(line, None, first.get("highlight") or None)
        return _error(_described(str(description), None, None), spot)
    token = tokens[index]
    # A misspelled keyword reads as a name (an alias), so the parser stops one token later:
    # SELECT Name FORM List, ... FROM List WERE ID = 1, ... ORDR BY Name.
    for candidate in (tokens[index - 1] if index else None, token):
        guess = None if candidate is None else _misspelled(candidate, CLAUSE_KEYWORDS, 0.75)
        if candidate is not None and guess and guess != candidate.text.upper():
            return _error(
                f"unknown keyword {candidate.text} — did you mean {guess}?",
                _spot(candidate, sql),
            )
    # ORDER and GROUP without BY: the tokenizer reads a lone ORDER as a name.
    for candidate in (tokens[index - 1] if index else None, token):
        if candidate is not None and candidate.text.upper() in ("ORDER", "GROUP", "PARTITION"):
            return _error(f"expected BY after {candidate.text.upper()}", _spot(candidate, sql))
    quoted = _unquoted_path(tokens, index, sql)
    if quoted is not None:
        return quoted
    description = str(first.get("description") or "invalid SQL")
    if description.startswith("Expecting )"):
        opening = _unclosed_parenthesis(tokens[: index + 1])
        if opening is not None:
            return _error("missing ): this ( is never closed", _spot(opening, sql))
    following = tokens[index + 1] if index + 1 < len(tokens) else None
    return _error(_described(description, token, following), _spot(token, sql))


def _unquoted_path(tokens: list[Token], index: int, sql: str) -> SqlSyntaxError | None:
    """``FROM campaigndraft/detailcontent``: a sub-resource's API name typed unquoted (the
    parser stops at its ``/``) is a name to write in double quotes."""
    start = index
    while start >= 2 and tokens[start].token_type is TokenType.SLASH:
        start -= 1  # back over name/name/... to the first name
        if not (_is_name(tokens[start]) and tokens[start].end + 1 == tokens[start + 1].start):
            return None
        if start >= 2 and tokens[start - 1].token_type is TokenType.SLASH:
            start -= 1
            continue
        break
    end = index
    while (
        end + 1 < len(tokens)
        and tokens[end].end + 1 == tokens[end + 1].start
        and (tokens[end + 1].token_type is TokenType.SLASH or _is_name(tokens[end + 1]))
    ):
        end += 1
    if start == index or not _is_name(tokens[end]):
        return None
    name = sql[tokens[start].start : tokens[end].end + 1]
    spot = _spot(tokens[start], sql)
    return _error(
        f'a name with / is written in double quotes: "{name}"', _Spot(spot.line, spot.column, name)
    )


def _unclosed_parenthesis(tokens: list[Token]) -> Token | None:
    """The last ( in ``tokens`` without its )."""
    stack: list[Token] = []
    for token in tokens:
        if token.token_type is TokenType.L_PAREN:
            stack.append(token)
        elif token.token_type is TokenType.R_PAREN and stack:
            stack.pop()
    return stack[-1] if stack else None


def _unterminated(sql: str) -> SqlSyntaxError:
    """A string or quoted name that is never closed: point at its opening quote."""
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if sql.startswith("--", i):
            end = sql.find("\n", i)
            i = n if end < 0 else end
            continue
        if sql.startswith("/*", i):
            end = sql.find("*/", i + 2)
            if end < 0:
                return _error("a /* comment is never closed", _position(sql, i, "/*"))
            i = end + 2
            continue
        if ch in "'\"":
            j = i + 1
            while j < n:
                if sql[j] == ch:
                    if j + 1 < n and sql[j + 1] == ch:  # a doubled quote is an escaped quote
                        j += 2
                        continue
                    break
                j += 1
            if j >= n:
                what = "string" if ch == "'" else "quoted name"
                return _error(
                    f"unterminated {what}: its closing {ch} is missing", _position(sql, i, ch)
                )
            i = j + 1
            continue
        i += 1
    return _error("the statement could not be read (an unbalanced quote?)", _Spot(None, None, None))


def _position(sql: str, offset: int, text: str) -> _Spot:
    line = sql.count("\n", 0, offset) + 1
    column = offset - (sql.rfind("\n", 0, offset) + 1) + 1
    return _Spot(line, column, text)


_DUCKDB_NEAR = re.compile(r'syntax error at or near "(?P<near>[^"]*)"')
_DUCKDB_LINE = re.compile(r"^LINE (?P<line>\d+): ?(?P<text>.*)$", re.MULTILINE)


def duckdb_syntax_error(message: str, sql: str | None = None) -> SqlSyntaxError:
    """DuckDB's ``Parser Error: syntax error at or near "X"`` (with its ``LINE n:`` and caret
    lines) as one sentence with the position of X.

    ``sql`` is the user's text when DuckDB parsed exactly that: errors DuckDB gives without a
    position (an empty select list) are then placed in it.
    """
    text = re.sub(r"^Parser Error:\s*", "", message.strip())
    head = text.splitlines()[0].strip() if text else "invalid SQL"
    near = _DUCKDB_NEAR.search(head)
    line_match = _DUCKDB_LINE.search(text)
    if near is None:
        if sql is not None and head.startswith("SELECT clause without selection list"):
            empty = _empty_select_list(sql)
            if empty is not None:
                return _error("expected the columns to select after SELECT (* for all)", empty)
        return _error(head, _Spot(None, None, None))
    word = near.group("near")
    spot = _Spot(None, None, word or None)
    if line_match is not None:
        lines = text.splitlines()
        index = next(i for i, candidate in enumerate(lines) if candidate.startswith("LINE "))
        caret_line = lines[index + 1] if index + 1 < len(lines) else ""
        prefix = len(f"LINE {line_match.group('line')}: ")
        caret = caret_line.find("^")
        if caret >= prefix:
            spot = _Spot(int(line_match.group("line")), caret - prefix + 1, word or None)
    guess = _closest(word, STATEMENT_KEYWORDS + CLAUSE_KEYWORDS, 0.75) if word else None
    if guess and word.upper() != guess and _WORD.fullmatch(word):
        return _error(f"unknown keyword {word} — did you mean {guess}?", spot)
    if line_match is not None and spot.column is not None:
        sentence = _in_context(line_match.group("text"), spot.column)
        if sentence is not None:
            return _error(sentence, spot)
    return _error(f"unexpected {word!r}" if word else "the statement is incomplete", spot)


def _empty_select_list(sql: str) -> _Spot | None:
    """The SELECT (or SELECT DISTINCT) directly followed by FROM, or None."""
    tokens = _tokens(sql)
    for index, token in enumerate(tokens[:-1]):
        if token.token_type is not TokenType.SELECT:
            continue
        following = tokens[index + 1]
        if following.token_type is TokenType.DISTINCT and index + 2 < len(tokens):
            following = tokens[index + 2]
        if following.token_type is TokenType.FROM:
            return _spot(token, sql)
    return None


def _in_context(line: str, column: int) -> str | None:
    """What DuckDB expected, said from the words around the token it stopped at (``column``,
    1-based, on ``line``): a clause keyword with nothing after it, ORDER without BY, SET
    without an assignment, DELETE without FROM. None when no rule applies."""
    tokens = [t for t in _tokens(line) if t.token_type is not TokenType.SEMICOLON]
    # the token the column falls in (sqlglot reads GROUP BY as one token; DuckDB points at BY)
    index = next((i for i, t in enumerate(tokens) if t.start <= column - 1 <= t.end), None)
    if index is None:
        return None
    here = tokens[index].text.upper()
    previous = tokens[index - 1].text.upper() if index else ""
    following = tokens[index + 1].text.upper() if index + 1 < len(tokens) else None
    if here in ("ORDER", "GROUP") and following != "BY":
        return f"expected BY after {here}"
    if here in ("ORDER BY", "GROUP BY", "PARTITION BY") and following is None:
        return f"expected a column or expression after {here}"
    if here in ("LIMIT", "OFFSET") and following is None:
        return f"expected a number after {here}"
    if here == "," and index >= 2 and tokens[index - 2].text.upper() == "LIMIT":
        return "LIMIT takes one number: write LIMIT n OFFSET m (MySQL's LIMIT m, n)"
    joins = [i for i, t in enumerate(tokens[:index]) if t.text.upper() == "JOIN"]
    if joins and not any(t.text.upper() in ("ON", "USING") for t in tokens[joins[-1] : index]):
        return "expected ON or USING after the joined table (JOIN t ON condition)"
    if previous == "SET":
        return "expected an assignment (column = value) after SET"
    if previous == "DELETE" and here != "FROM":
        return "expected FROM after DELETE (DELETE FROM table WHERE ...)"
    return None
