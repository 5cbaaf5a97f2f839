"""The router's first step: a statement that cannot involve Mailjet goes to DuckDB unparsed by us.

Most of a one-line command's start-up would be importing sqlglot and its DuckDB dialect. A
statement like ``SELECT 1`` or ``CREATE TABLE mine (x INTEGER)`` does not need them: it names no
Mailjet table and none of the statements the router answers itself (EXPLAIN, SHOW TABLES,
DESCRIBE, COPY ... TO, RETURNING rows), so it is a :class:`LocalStatement`, run by DuckDB as
written, whatever else it says.

What the statement is comes from DuckDB's own parser (the connection's, already loaded): the
caller passes a function giving DuckDB's statement type. The words of the text only decide
whether that shortcut may be taken: a statement in which any word is a Mailjet table name or
alias, or one of the router's keywords, goes to the full router (:mod:`mjquery.planner.router`),
even when the word only appears in a string or a comment. So the shortcut can only be missed,
never taken wrongly: its answer is the one the router would give.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence

from mjquery.planner.model import LocalStatement, ResultKind, StatementKind
from mjquery.schema.catalog import CatalogLike

# Words that send a statement to the full router whatever tables it names: the statements it
# answers itself, and RETURNING (rows rather than a count).
_ROUTER_WORDS = frozenset(
    {"explain", "show", "describe", "desc", "copy", "returning", "checkpoint", "call"}
)
# Identifiers, including the quoted names of sub-resources ("campaigndraft/detailcontent").
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_$/-]*")

#: DuckDB's statement types (``duckdb.StatementType`` names) the shortcut takes, and what each
#: hands back. Any other type goes to the full router.
RESULT_OF_TYPE = {
    "SELECT": ResultKind.ROWS,
    "PRAGMA": ResultKind.ROWS,
    "INSERT": ResultKind.ROWCOUNT,
    "UPDATE": ResultKind.ROWCOUNT,
    "DELETE": ResultKind.ROWCOUNT,
    "MERGE_INTO": ResultKind.ROWCOUNT,
    "CREATE": ResultKind.NOTHING,
    "CREATE_FUNC": ResultKind.NOTHING,
    "DROP": ResultKind.NOTHING,
    "ALTER": ResultKind.NOTHING,
    "ATTACH": ResultKind.NOTHING,
    "DETACH": ResultKind.NOTHING,
    "SET": ResultKind.NOTHING,
    "VARIABLE_SET": ResultKind.NOTHING,
    "TRANSACTION": ResultKind.NOTHING,
    "LOAD": ResultKind.NOTHING,
    "VACUUM": ResultKind.NOTHING,
}

#: What a shortcut statement does, for the front ends (:meth:`mjquery.engine.Engine.classify`).
#: UPDATE, DELETE and MERGE are absent: whether they have a WHERE clause takes the router.
KIND_OF_TYPE = {
    name: StatementKind.QUERY if result is ResultKind.ROWS else StatementKind.OTHER
    for name, result in RESULT_OF_TYPE.items()
    if name not in ("UPDATE", "DELETE", "MERGE_INTO")
} | {"INSERT": StatementKind.INSERT}


def local_only(
    sql: str,
    params: Sequence[object] | None,
    catalog: CatalogLike,
    statement_type: Callable[[str], str | None],
) -> LocalStatement | None:
    """The LocalStatement ``sql`` is when it cannot involve Mailjet, else None (route it).

    ``statement_type(sql)`` is DuckDB's name for the one statement in ``sql`` (None when the
    text is not exactly one statement DuckDB can parse).
    """
    for word in _WORD.findall(sql):
        lowered = word.lower()
        if lowered in _ROUTER_WORDS or catalog.find(word) is not None:
            return None
    kind = statement_type(sql)
    result = RESULT_OF_TYPE.get(kind) if kind is not None else None
    if result is None:
        return None
    return LocalStatement(sql, tuple(params or ()), result)


def mentions(sql: str, names: Iterable[str]) -> bool:
    """Whether a word of ``sql`` is one of ``names`` (any case): such a statement needs the
    full router, as one naming a Mailjet table does."""
    wanted = {name.lower() for name in names}
    return bool(wanted) and any(word.lower() in wanted for word in _WORD.findall(sql))
