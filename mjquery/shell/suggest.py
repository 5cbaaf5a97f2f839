"""What fits at the cursor: the pure half of completion (no terminal, no catalog).

:func:`suggest` reads the text before the cursor (and the rest of the statement, for the tables
in scope) and answers with the kinds of thing that fit there: table names after FROM/JOIN/INTO/
UPDATE, the columns of the tables in scope after SELECT/WHERE/SET/ON, keywords after a
complete expression, meta commands at the start of a line. The completer then asks the catalog
and the vocabulary for names of those kinds.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from mjquery.frontend.sqltext import Token, TokenKind, tokenize


class SuggestionKind(enum.Enum):
    KEYWORD = "keyword"
    TABLE = "table"
    COLUMN = "column"
    FUNCTION = "function"
    META = "meta"  # .tables, \d ...
    FORMAT = "format"  # argument of .format
    CHOICE = "choice"  # a fixed argument list (.cache clear|on|off)
    PATH = "path"  # a file name (.read, .output)


@dataclass(frozen=True)
class TableRef:
    """A table in scope, as written in the statement, with its alias if any."""

    name: str
    alias: str | None = None


@dataclass(frozen=True)
class Suggestion:
    kind: SuggestionKind
    tables: tuple[TableRef, ...] = ()  # COLUMN: the tables whose columns fit
    choices: tuple[str, ...] = ()  # CHOICE: the allowed words


@dataclass(frozen=True)
class CompletionContext:
    """The partial word at the cursor and what may replace it."""

    word: str
    suggestions: tuple[Suggestion, ...]

    def kinds(self) -> tuple[SuggestionKind, ...]:
        return tuple(s.kind for s in self.suggestions)


TABLE_AFTER = frozenset({"FROM", "JOIN", "INTO", "UPDATE", "TABLE", "DESCRIBE", "SUMMARIZE"})
COLUMN_AFTER = frozenset(
    {
        "SELECT",
        "WHERE",
        "AND",
        "OR",
        "NOT",
        "SET",
        "ON",
        "BY",
        "HAVING",
        "DISTINCT",
        "CASE",
        "WHEN",
        "THEN",
        "ELSE",
        "IN",
        "BETWEEN",
        "LIKE",
        "ILIKE",
        "IS",
        "USING",
        "QUALIFY",
    }
)
OPERATORS = frozenset(
    {"=", "<", ">", "(", "+", "-", "*", "/", "%", "!", "|", "<>", "!=", "<=", ">="}
)
# Clause words that decide what a comma continues: "FROM a, b" lists tables, "SELECT a, b" columns.
CLAUSES = frozenset(
    {
        "SELECT",
        "FROM",
        "WHERE",
        "GROUP",
        "ORDER",
        "HAVING",
        "SET",
        "JOIN",
        "ON",
        "LIMIT",
        "VALUES",
        "INTO",
        "UPDATE",
        "USING",
        "PARTITION",
        "QUALIFY",
    }
)
# Words that end a FROM item; an identifier after a table name that is not one of these is its alias.
_NOT_ALIAS = frozenset(
    {
        "WHERE",
        "GROUP",
        "ORDER",
        "HAVING",
        "LIMIT",
        "OFFSET",
        "JOIN",
        "LEFT",
        "RIGHT",
        "INNER",
        "FULL",
        "CROSS",
        "OUTER",
        "NATURAL",
        "ON",
        "USING",
        "SET",
        "UNION",
        "EXCEPT",
        "INTERSECT",
        "WINDOW",
        "QUALIFY",
        "VALUES",
        "SELECT",
        "AS",
        "POSITIONAL",
        "ASOF",
        "SEMI",
        "ANTI",
        "LATERAL",
        "RETURNING",
        "DEFAULT",
    }
)

META_COMMANDS: tuple[tuple[str, str], ...] = (
    ("\\dt", "list the tables: \\dt [PATTERN] (also \\l: the account is the one database)"),
    ("\\d", "columns of a table: \\d TABLE (alone: the tables)"),
    ("\\x", "expanded display, one line per column: \\x [on|off|auto]"),
    ("\\timing", "the elapsed time in the status line: \\timing [on|off]"),
    ("\\o", "send results to a file: \\o FILE (alone: back to the screen)"),
    ("\\i", "run a .sql file, meta commands included: \\i FILE (asks for its :parameters)"),
    ("\\e", "edit the last statement (or FILE) in $EDITOR; it runs if it ends with ;"),
    ("\\watch", "run the last query again every N seconds: \\watch 5 (Ctrl-C stops)"),
    ("\\t", "rows only, without column names: \\t [on|off]"),
    ("\\pset", "psql settings: \\pset pager|expanded|format|tuples_only [VALUE]"),
    ("\\conninfo", "the account and profile in use"),
    ("\\?", "list the meta commands"),
    ("\\q", "leave the shell"),
    (".tables", "list the tables: .tables [PATTERN]"),
    (".schema", "columns of a table: .schema TABLE"),
    (
        ".mode",
        "output format, as duckdb names them: .mode table|line|csv|tabs|json|jsonlines|markdown",
    ),
    (".format", "output format: .format table|csv|tsv|json|jsonl|markdown"),
    (".headers", "column names above the results: .headers on|off"),
    (".pager", "long or wide results through the pager (less -S scrolls sideways): .pager on|off"),
    (".explain", "show each query's plan (its API requests) before it runs: .explain on|off"),
    (".timing", "the elapsed time in the status line: .timing on|off"),
    (".output", "send results to a file: .output FILE (alone: back to the screen)"),
    (".read", "run a .sql file, meta commands included: .read FILE"),
    (".cache", "API response cache: .cache clear|on|off"),
    (".refresh", "read the contact properties again (the columns of ContactProperties)"),
    (".profile", "show the account and profile in use"),
    (".safe-updates", "refuse UPDATE/DELETE without WHERE: .safe-updates on|off"),
    (".help", "list the meta commands"),
    (".quit", "leave the shell"),
)
_ON_OFF = Suggestion(SuggestionKind.CHOICE, choices=("off", "on"))
META_ARGUMENTS: dict[str, Suggestion] = {
    ".schema": Suggestion(SuggestionKind.TABLE),
    ".describe": Suggestion(SuggestionKind.TABLE),
    "\\d": Suggestion(SuggestionKind.TABLE),
    ".format": Suggestion(SuggestionKind.FORMAT),
    ".mode": Suggestion(
        SuggestionKind.CHOICE,
        choices=("csv", "json", "jsonlines", "line", "markdown", "table", "tabs"),
    ),
    ".cache": Suggestion(SuggestionKind.CHOICE, choices=("clear", "off", "on")),
    "\\x": Suggestion(SuggestionKind.CHOICE, choices=("auto", "off", "on")),
    "\\pset": Suggestion(
        SuggestionKind.CHOICE, choices=("expanded", "format", "pager", "tuples_only")
    ),
    ".explain": _ON_OFF,
    ".timing": _ON_OFF,
    "\\timing": _ON_OFF,
    "\\t": _ON_OFF,
    ".headers": _ON_OFF,
    ".pager": _ON_OFF,
    ".safe-updates": _ON_OFF,
    ".read": Suggestion(SuggestionKind.PATH),
    "\\i": Suggestion(SuggestionKind.PATH),
    "\\e": Suggestion(SuggestionKind.PATH),
    ".output": Suggestion(SuggestionKind.PATH),
    "\\o": Suggestion(SuggestionKind.PATH),
}


def _current_statement(text: str) -> tuple[str, list[Token]]:
    """The text and tokens of the statement the cursor is in (after the last ``;``)."""
    tokens = list(tokenize(text))
    start = 0
    for i, token in enumerate(tokens):
        if token.kind is TokenKind.SYMBOL and token.text == ";":
            start = i + 1
    statement_tokens = tokens[start:]
    offset = statement_tokens[0].start if statement_tokens else len(text)
    return text[offset:], statement_tokens


def _rest_of_statement(text_after: str) -> list[Token]:
    tokens = []
    for token in tokenize(text_after):
        if token.kind is TokenKind.SYMBOL and token.text == ";":
            break
        tokens.append(token)
    return tokens


def tables_in_scope(tokens: list[Token]) -> tuple[TableRef, ...]:
    """Tables named after FROM (and its commas), JOIN, UPDATE and INTO, with their aliases."""
    code = [t for t in tokens if t.kind not in (TokenKind.SPACE, TokenKind.COMMENT)]
    found: list[TableRef] = []
    i = 0
    in_from = False
    while i < len(code):
        token = code[i]
        word = token.upper if token.kind is TokenKind.WORD else None
        expects_table = word in ("FROM", "JOIN", "UPDATE", "INTO") or (
            in_from and token.kind is TokenKind.SYMBOL and token.text == ","
        )
        if word in CLAUSES and word != "FROM":
            in_from = word == "JOIN" and in_from
        if word == "FROM":
            in_from = True
        if (
            expects_table
            and i + 1 < len(code)
            and code[i + 1].kind in (TokenKind.WORD, TokenKind.QUOTED)
        ):
            name_token = code[i + 1]
            name = (
                name_token.text.strip('"`')
                if name_token.kind is TokenKind.QUOTED
                else name_token.text
            )
            if name.upper() not in ("SELECT", "LATERAL") and not (
                i + 2 < len(code) and code[i + 2].text == "("
            ):  # a table function call
                alias = None
                j = i + 2
                if j < len(code) and code[j].upper == "AS":
                    j += 1
                if (
                    j < len(code)
                    and code[j].kind in (TokenKind.WORD, TokenKind.QUOTED)
                    and code[j].upper not in _NOT_ALIAS
                ):
                    alias = code[j].text.strip('"`')
                found.append(TableRef(name, alias))
        i += 1
    unique: dict[tuple[str, str | None], TableRef] = {}
    for ref in found:
        unique.setdefault((ref.name.lower(), (ref.alias or "").lower() or None), ref)
    return tuple(unique.values())


def _meta_context(statement: str) -> CompletionContext:
    parts = statement.lstrip().split()
    ends_with_space = statement[-1:].isspace()
    if len(parts) <= 1 and not ends_with_space:
        return CompletionContext(parts[0] if parts else "", (Suggestion(SuggestionKind.META),))
    command = parts[0].lower()
    argument = (
        Suggestion(SuggestionKind.CHOICE)
        if command not in META_ARGUMENTS
        else META_ARGUMENTS[command]
    )
    if len(parts) > 2 or (len(parts) == 2 and ends_with_space):
        return CompletionContext("", ())
    word = parts[1] if len(parts) == 2 else ""
    return CompletionContext(
        word, (argument,) if argument.kind is not SuggestionKind.CHOICE or argument.choices else ()
    )


def _clause_of_comma(code: list[Token]) -> str | None:
    """The clause keyword a trailing comma belongs to, at the same parenthesis depth."""
    depth = 0
    for token in reversed(code):
        if token.kind is TokenKind.SYMBOL:
            if token.text == ")":
                depth += 1
            elif token.text == "(":
                if depth == 0:
                    return "("
                depth -= 1
        elif token.kind is TokenKind.WORD and depth == 0 and token.upper in CLAUSES | {"BY"}:
            return token.upper
    return None


def _resource_path(tokens: list[Token], word: str) -> tuple[str | None, list[Token]]:
    """``campaigndraft/`` + ``word`` when the tokens before the cursor's word are names joined
    by ``/`` with no space between (a sub-resource's API name, unquoted), and the tokens before
    it; ``(None, tokens)`` otherwise."""
    path, rest = word, tokens
    while (
        len(rest) >= 2
        and rest[-1].kind is TokenKind.SYMBOL
        and rest[-1].text == "/"
        and rest[-2].kind is TokenKind.WORD
    ):
        path, rest = rest[-2].text + "/" + path, rest[:-2]
    return (path, rest) if rest is not tokens else (None, tokens)


def _expects_table(tokens: list[Token]) -> bool:
    """Whether a table name comes next after ``tokens`` (FROM, JOIN ..., or a comma in FROM)."""
    code = [t for t in tokens if t.kind not in (TokenKind.SPACE, TokenKind.COMMENT)]
    if not code:
        return False
    last = code[-1]
    if last.kind is TokenKind.WORD:
        return last.upper in TABLE_AFTER
    return (
        last.kind is TokenKind.SYMBOL and last.text == "," and _clause_of_comma(code[:-1]) == "FROM"
    )


def quiet(text_before_cursor: str) -> bool:
    """Whether completion should stay out of the way while typing: at the start of a statement
    (an empty line, or just after ``;``) and on a new line of a statement, nothing has been
    typed that a menu could help with. Tab still asks for one."""
    statement, _tokens = _current_statement(text_before_cursor)
    line = text_before_cursor.rsplit("\n", 1)[-1]
    return not statement.strip() or not line.strip()


def suggest(text_before_cursor: str, text_after_cursor: str = "") -> CompletionContext:
    """What may be typed at the cursor. Pure: depends only on the text."""
    statement, tokens = _current_statement(text_before_cursor)
    if statement.lstrip().startswith((".", "\\")):
        return _meta_context(statement)

    last = tokens[-1] if tokens else None
    if last is not None and last.kind in (
        TokenKind.STRING,
        TokenKind.COMMENT,
        TokenKind.NUMBER,
        TokenKind.PARAMETER,
    ):
        return CompletionContext("", ())
    word = ""
    if last is not None and last.kind is TokenKind.QUOTED:
        if len(last.text) > 1 and last.text.endswith(last.text[0]):
            return CompletionContext("", ())  # a closed quoted name: nothing to complete
        word = last.text  # an open quoted name: "campaigndraft/de
        tokens = tokens[:-1]
    elif last is not None and last.kind is TokenKind.WORD:
        word = last.text
        tokens = tokens[:-1]
    path, before_path = _resource_path(tokens, word)
    if path is not None and _expects_table(before_path):
        # an API resource name typed as the API spells it (FROM campaigndraft/det): one word,
        # which the completer replaces whole, quoted
        return CompletionContext(path, (Suggestion(SuggestionKind.TABLE),))
    code = [t for t in tokens if t.kind not in (TokenKind.SPACE, TokenKind.COMMENT)]
    scope = tables_in_scope(tokens + _rest_of_statement(text_after_cursor))

    # "alias.col": only that table's columns.
    if code and code[-1].kind is TokenKind.SYMBOL and code[-1].text == ".":
        qualifier = code[-2].text.strip('"`') if len(code) >= 2 else ""
        match = tuple(
            r
            for r in scope
            if (r.alias or r.name).lower() == qualifier.lower()
            or r.name.lower() == qualifier.lower()
        )
        tables = match or (TableRef(qualifier),)
        return CompletionContext(word, (Suggestion(SuggestionKind.COLUMN, tables=tables),))

    previous = code[-1] if code else None
    columns = (
        Suggestion(SuggestionKind.COLUMN, tables=scope),
        Suggestion(SuggestionKind.FUNCTION),
        Suggestion(SuggestionKind.KEYWORD),
    )
    if previous is None:
        return CompletionContext(word, (Suggestion(SuggestionKind.KEYWORD),))
    if previous.kind is TokenKind.WORD:
        upper = previous.upper
        if upper in TABLE_AFTER:
            return CompletionContext(word, (Suggestion(SuggestionKind.TABLE),))
        if upper in COLUMN_AFTER:
            return CompletionContext(word, columns)
        return CompletionContext(word, (Suggestion(SuggestionKind.KEYWORD),))
    if previous.kind is TokenKind.SYMBOL:
        if previous.text == ",":
            clause = _clause_of_comma(code[:-1])
            if clause == "FROM":
                return CompletionContext(word, (Suggestion(SuggestionKind.TABLE),))
            return CompletionContext(word, columns)
        if previous.text in OPERATORS or previous.text == "::":
            return CompletionContext(word, columns)
        if previous.text == ")":
            return CompletionContext(word, (Suggestion(SuggestionKind.KEYWORD),))
    return CompletionContext(word, (Suggestion(SuggestionKind.KEYWORD),))
