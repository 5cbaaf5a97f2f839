"""INSERT / UPDATE / DELETE on Mailjet tables, and ``COPY ... TO``: parsed into typed descriptions.

The write path never sees SQL. Each statement becomes a :class:`DmlStatement` whose rows come
from a SELECT the engine runs like any other query (pushdown included):

* ``INSERT INTO t (cols) VALUES ...`` — literal rows are read here; rows with expressions
  (``upper('x')``, ``now()``) become ``SELECT * FROM (VALUES ...) AS v(cols)``.
* ``INSERT INTO t (cols) SELECT ...`` — the SELECT as written (other Mailjet tables,
  ``read_csv('new.csv')``, literals).
* ``UPDATE t SET c = expr WHERE w`` — ``SELECT t.*, expr AS "__mjq_set_0", ..., (<the object's
  write condition>) AS "__mjq_condition" FROM t WHERE w``: the current rows (their keys), the
  new values evaluated per row, and whether each row may be updated (CampaignDraft: ``Used =
  false``).
* ``DELETE FROM t WHERE w`` — ``SELECT t.* FROM t WHERE w``.
* ``COPY (SELECT ...) TO 'file' (FORMAT ..., HEADER ..., DELIMITER ...)`` and ``COPY t TO ...``.

The router (:mod:`mjquery.planner.router`) has already parsed the statement and decided that it
writes to a Mailjet table or copies to a file; these functions only read its syntax tree.

A missing WHERE is recorded (``unfiltered``); the statement-level opt-in is the comment
``-- mjquery: allow-all-rows`` anywhere in the statement (a comment: the same words inside a
string literal do not count). UPDATE's ``SET col = <literal>`` values
are kept as well (``set_literals``), so the write path can refuse a value of the wrong type
before the SELECT that finds the rows runs.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Sequence

from sqlglot import exp

from mjquery.errors import NotSupportedError, ProgrammingError
from mjquery.planner.model import CopyStatement, DmlStatement, SetLiteral
from mjquery.planner.parse import DIALECT, bind_literals, parse
from mjquery.planner.predicates import literal_value
from mjquery.schema.model import ObjectSchema, Operation

SET_PREFIX = "__mjq_set_"
CONDITION_COLUMN = "__mjq_condition"

_OPT_IN = re.compile(r"^\s*mjquery\s*:\s*allow-all-rows\b", re.IGNORECASE)


def write_target(tree: exp.Expr) -> exp.Table | None:
    """The table an INSERT / UPDATE / DELETE writes to, when it is a plain table name."""
    if not isinstance(tree, (exp.Insert, exp.Update, exp.Delete)):
        return None
    target = tree.this.this if isinstance(tree.this, exp.Schema) else tree.this
    if not isinstance(target, exp.Table) or target.args.get("db"):
        return None
    return target


def opted_in(tree: exp.Expr) -> bool:
    """Whether a comment of the statement says ``mjquery: allow-all-rows``."""
    return any(_OPT_IN.match(comment) for node in tree.walk() for comment in (node.comments or ()))


def plan_write(
    tree: exp.Insert | exp.Update | exp.Delete,
    schema: ObjectSchema,
    params: Sequence[object] | None,
) -> DmlStatement:
    """The write ``tree`` (parsed, parameters not yet bound) makes on the Mailjet table ``schema``."""
    opt_in = opted_in(tree)
    bound = bind_literals(tree, params)
    returning = _returning(bound)
    if isinstance(bound, exp.Insert):
        return _insert(bound, schema, returning)
    target = write_target(bound)
    assert target is not None
    if bound.args.get("from") or bound.args.get("from_") or bound.args.get("using"):
        raise NotSupportedError(
            f"{type(bound).__name__.upper()} ... FROM/USING is not supported on Mailjet tables; "
            "use a subquery in WHERE instead (WHERE ID IN (SELECT ...))."
        )
    where = bound.args.get("where")
    select = exp.select(exp.Column(this=exp.Star(), table=exp.to_identifier(target.alias_or_name)))
    select = select.from_(target.copy())
    if where is not None:
        select = select.where(where.this.copy())
    if isinstance(bound, exp.Update):
        columns = []
        literals = []
        for index, assignment in enumerate(bound.expressions):
            if not isinstance(assignment, exp.EQ) or not isinstance(assignment.this, exp.Column):
                raise ProgrammingError("UPDATE ... SET takes column = value pairs.")
            columns.append(assignment.this.name)
            # An expression of the row is evaluated by the SELECT and checked per row.
            with contextlib.suppress(_NotLiteral):
                literals.append(SetLiteral(assignment.this.name, _literal(assignment.expression)))
            select = select.select(
                exp.alias_(assignment.expression.copy(), f"{SET_PREFIX}{index}", quoted=True)
            )
        rule = schema.write_rule(Operation.UPDATE)
        if rule is not None and rule.condition:
            condition = parse(f"SELECT {rule.condition}").expressions[0].copy()
            select = select.select(exp.alias_(condition, CONDITION_COLUMN, quoted=True))
        return DmlStatement(
            Operation.UPDATE,
            schema.name,
            tuple(columns),
            None,
            select.sql(dialect=DIALECT),
            returning,
            where is None,
            opt_in,
            tuple(literals),
        )
    return DmlStatement(
        Operation.DELETE,
        schema.name,
        (),
        None,
        select.sql(dialect=DIALECT),
        returning,
        where is None,
        opt_in,
    )


def _on_conflict(tree: exp.Insert, schema: ObjectSchema) -> str:
    """INSERT OR REPLACE / OR IGNORE / ON CONFLICT DO NOTHING, as the write path's OnConflict."""
    alternative = str(tree.args.get("alternative") or "").upper()
    conflict = tree.args.get("conflict")
    if alternative == "REPLACE":
        return "update"
    if alternative == "IGNORE":
        return "ignore"
    if alternative in ("", "ABORT", "FAIL"):
        if conflict is None:
            return "error"
        action = conflict.args.get("action")
        if action is not None and "NOTHING" in action.sql().upper() and not conflict.expressions:
            return "ignore"
        raise NotSupportedError(
            f"INSERT INTO {schema.name} ... ON CONFLICT DO UPDATE is not supported on Mailjet "
            f"tables: write INSERT OR REPLACE INTO {schema.name} (update the existing rows with "
            "the inserted values) or INSERT OR IGNORE (leave them as they are)."
        )
    raise NotSupportedError(
        f"INSERT OR {alternative} is not supported on Mailjet tables (there are no transactions "
        "to roll back): use INSERT, INSERT OR IGNORE or INSERT OR REPLACE."
    )


def _insert(tree: exp.Insert, schema: ObjectSchema, returning: tuple[str, ...]) -> DmlStatement:
    conflict = _on_conflict(tree, schema)
    if not isinstance(tree.this, exp.Schema) or not tree.this.expressions:
        raise ProgrammingError(
            f"INSERT INTO {schema.name} needs its column list: INSERT INTO {schema.name} (col, ...) VALUES ..."
        )
    columns = tuple(c.name for c in tree.this.expressions)
    source = tree.expression
    if isinstance(source, exp.Values):
        rows: list[tuple[object, ...]] = []
        literal_only = True
        for row in source.expressions:
            items = row.expressions if isinstance(row, exp.Tuple) else [row]
            if len(items) != len(columns):
                raise ProgrammingError(
                    f"INSERT INTO {schema.name}: {len(columns)} column(s) but a row of {len(items)} value(s)."
                )
            try:
                rows.append(tuple(_literal(item) for item in items))
            except _NotLiteral:
                literal_only = False
                break
        if literal_only:
            return DmlStatement(
                Operation.INSERT,
                schema.name,
                columns,
                tuple(rows),
                None,
                returning,
                on_conflict=conflict,
            )
        alias = exp.TableAlias(
            this=exp.to_identifier("v"),
            columns=[exp.to_identifier(c, quoted=True) for c in columns],
        )
        select = exp.select("*").from_(exp.Subquery(this=source.copy(), alias=alias))
        return DmlStatement(
            Operation.INSERT,
            schema.name,
            columns,
            None,
            select.sql(dialect=DIALECT),
            returning,
            on_conflict=conflict,
        )
    if isinstance(source, exp.Query):
        return DmlStatement(
            Operation.INSERT,
            schema.name,
            columns,
            None,
            source.sql(dialect=DIALECT),
            returning,
            on_conflict=conflict,
        )
    raise ProgrammingError(f"INSERT INTO {schema.name} takes VALUES or a SELECT.")


class _NotLiteral(Exception):
    pass


def _literal(node: exp.Expr) -> object:
    if isinstance(node, exp.Null):
        return None
    if isinstance(node, (exp.Literal, exp.Boolean)) or (
        isinstance(node, exp.Neg) and isinstance(node.this, exp.Literal)
    ):
        return literal_value(node)
    raise _NotLiteral


def _returning(tree: exp.Expr) -> tuple[str, ...]:
    clause = tree.args.get("returning")
    if clause is None:
        return ()
    names = []
    for item in clause.expressions:
        if isinstance(item, exp.Star):
            return ("*",)
        if not isinstance(item, exp.Column):
            raise NotSupportedError("RETURNING takes column names (or *) on Mailjet tables.")
        names.append(item.name)
    return tuple(names)


def plan_copy(tree: exp.Copy, params: Sequence[object] | None) -> CopyStatement:
    """``COPY (SELECT ...) TO 'file'`` (the router sends ``COPY ... FROM`` to DuckDB)."""
    bound = bind_literals(tree, params)
    assert isinstance(bound, exp.Copy)
    source = bound.this
    if isinstance(source, exp.Subquery):
        source_sql = source.this.sql(dialect=DIALECT)
    elif isinstance(source, exp.Table):
        source_sql = exp.select("*").from_(source.copy()).sql(dialect=DIALECT)
    else:
        raise ProgrammingError("COPY takes (SELECT ...) or a table name before TO.")
    files = bound.args.get("files") or []
    if len(files) != 1 or not isinstance(files[0], exp.Literal) or not files[0].is_string:
        raise ProgrammingError(
            "COPY ... TO needs one file name in quotes: COPY (SELECT ...) TO 'out.csv'"
        )
    fmt: str | None = None
    header, delimiter = True, ","
    for param in bound.args.get("params") or []:
        name = param.this.name.upper()
        value = param.expression
        text = value.name if value is not None else None
        if name == "FORMAT":
            fmt = (text or "").lower()
        elif name == "HEADER":
            header = text is None or text.lower() in ("true", "1", "on")
        elif name in ("DELIMITER", "DELIM", "SEP"):
            delimiter = text or ","
        else:
            raise NotSupportedError(
                f"COPY option {name} is not supported; use FORMAT, HEADER or DELIMITER."
            )
    return CopyStatement(source_sql, files[0].name, fmt, header, delimiter)


def insert_many(
    tree: exp.Expr,
    schema: ObjectSchema,
    seq_of_params: Sequence[Sequence[object]],
) -> DmlStatement | None:
    """``executemany`` of ``INSERT INTO <Mailjet table> (cols) VALUES (?, ...)``: one statement, all rows.

    ``tree`` is parsed once; each parameter set becomes one row, so many rows can go out as bulk
    jobs instead of one statement per row. None when the statement is not one INSERT of one
    literal row (the caller then runs the statement once per parameter set).
    """
    if not isinstance(tree, exp.Insert) or not isinstance(tree.expression, exp.Values):
        return None
    values = tree.expression.expressions
    if not seq_of_params or len(values) != 1 or not isinstance(values[0], exp.Tuple):
        return None
    first = plan_write(tree, schema, seq_of_params[0])
    if first.rows is None:
        return None  # expressions in VALUES: evaluated per statement
    items = values[0].expressions
    marks = [
        i for i, item in enumerate(items) if isinstance(item, exp.Placeholder) and not item.this
    ]
    fixed = {i: value for i, value in enumerate(first.rows[0]) if i not in marks}
    rows = []
    for params in seq_of_params:
        if len(params) != len(marks):
            raise ProgrammingError(
                f"The statement has {len(marks)} parameter marker(s) (?) but {len(params)} value(s) were given."
            )
        given = dict(zip(marks, params, strict=True))
        rows.append(tuple(given[i] if i in given else fixed[i] for i in range(len(items))))
    return DmlStatement(
        Operation.INSERT,
        first.table,
        first.columns,
        tuple(rows),
        None,
        first.returning,
        on_conflict=first.on_conflict,
    )
