"""DB-API parameters: the qmark style the planner binds, and ``:name`` markers with a mapping.

Light on purpose (sqlglot is imported only when a statement may hold ``:name`` markers): every
statement passes through here, including those that never need the parser.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from mjquery.errors import InterfaceError, ProgrammingError


def check_parameters(params: object) -> Sequence[object] | None:
    """Reject mappings and strings given as the parameter sequence (a common slip)."""
    if params is None:
        return None
    if isinstance(params, (str, bytes, Mapping)):
        raise InterfaceError(
            "Parameters must be a sequence of values (qmark style, e.g. (42, 'x')), "
            f"not a {type(params).__name__}."
        )
    if isinstance(params, (set, frozenset)):
        raise InterfaceError(
            "Parameters must be a sequence of values in the order of the ? markers: a set has "
            "no order (use a list or a tuple)."
        )
    if not isinstance(params, Iterable):
        raise InterfaceError(
            f"Parameters must be a sequence of values, not a {type(params).__name__}."
        )
    return list(params)


@dataclass(frozen=True)
class NamedMarkers:
    """A statement's ``:name`` markers rewritten as ``?``: the new text and the names in order."""

    sql: str
    names: tuple[str, ...]
    has_qmarks: bool  # the text also has ``?`` markers (mixing the styles is refused)


# Characters after which ``:`` cannot start a marker: ``a:b`` (DuckDB's prefix alias),
# ``arr[1:n]`` (a slice), ``{'k':v}`` (a struct literal), ``x::INT`` (a cast).
_NOT_BEFORE_MARKER = frozenset('_:\'")]}"')


@functools.lru_cache(maxsize=256)
def named_markers(sql: str) -> NamedMarkers:
    """Find ``:name`` markers with sqlglot's tokenizer, so text in strings and comments is skipped."""
    import sqlglot
    from sqlglot.errors import TokenError
    from sqlglot.tokenizer_core import TokenType

    try:
        tokens = sqlglot.Dialect.get_or_raise("duckdb").tokenize(sql)
    except TokenError as exc:
        from mjquery.planner.syntax import syntax_error

        raise syntax_error(exc, sql) from exc
    pieces: list[str] = []
    names: list[str] = []
    done = 0
    has_qmarks = False
    for colon, name in itertools.pairwise(tokens):
        if colon.token_type is TokenType.PLACEHOLDER:
            has_qmarks = True
        if (
            colon.token_type is not TokenType.COLON
            or name.start != colon.end + 1
            or not name.text.isidentifier()
            or (
                colon.start > 0
                and (sql[colon.start - 1].isalnum() or sql[colon.start - 1] in _NOT_BEFORE_MARKER)
            )
        ):
            continue
        pieces += [sql[done : colon.start], "?"]
        names.append(name.text)
        done = name.end + 1
    if tokens and tokens[-1].token_type is TokenType.PLACEHOLDER:
        has_qmarks = True
    pieces.append(sql[done:])
    return NamedMarkers("".join(pieces), tuple(names), has_qmarks)


def qmark_parameters(sql: str, params: object) -> tuple[str, Sequence[object] | None]:
    """The statement and its parameters in the qmark style the planner binds.

    A mapping goes with ``:name`` markers (as in sqlite3; a name may repeat, unused keys are
    ignored); a sequence with ``?``. A statement with ``:name`` markers and a sequence, or a
    mapping and ``?`` markers, is refused with a message saying which to use.
    """
    if not isinstance(params, Mapping):
        values = check_parameters(params)
        names = tuple(dict.fromkeys(named_markers(sql).names)) if ":" in sql else ()
        if names:
            raise ProgrammingError(
                f"The statement uses named parameters (:{', :'.join(names)}): pass their values "
                f"as a mapping, e.g. {{{names[0]!r}: value}}."
            )
        return sql, values
    markers = named_markers(sql)
    if markers.has_qmarks:
        raise ProgrammingError(
            "The statement mixes ? markers with a mapping of parameters: write :name markers "
            "for a mapping, or pass a sequence for ? markers."
        )
    missing = [n for n in dict.fromkeys(markers.names) if n not in params]
    if missing:
        raise ProgrammingError(
            f"No value for parameter{'s' if len(missing) > 1 else ''} "
            + ", ".join(f":{n}" for n in missing)
            + f"; the mapping has {', '.join(sorted(map(str, params))) or 'no keys'}."
        )
    return markers.sql, [params[n] for n in markers.names]
