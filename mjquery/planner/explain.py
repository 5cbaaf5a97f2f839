"""A :class:`QueryPlan` in plain words, one line per row of ``EXPLAIN``.

For each Mailjet table read: the requests (method, path, parameters), how many pages to expect
(known only when the plan caps the rows; EXPLAIN makes no request), each predicate and whether it
is pushed exactly, re-checked by DuckDB or kept local, the keys taken from other tables and the
fan-out bound. Then the SQL DuckDB runs over the fetched rows. For a write or a COPY, a first
line says what happens to the rows the query finds.
"""

from __future__ import annotations

import math

from mjquery.planner.model import (
    ApiFetch,
    ApiRequest,
    CopyStatement,
    DmlStatement,
    ExplainPlan,
    OverLimit,
    QueryPlan,
    fetched_columns,
)
from mjquery.schema.model import Operation
from mjquery.schema.replication import strategy_text

PAGE_SIZE = 1000


def _request_words(fetch: ApiFetch, request: ApiRequest, key_param: str | None = None) -> str:
    params = [f"{p.name}={p.value}" for p in request.params]
    if key_param:
        params.append(key_param)
    if fetch.count_only:
        params.append("countOnly=1")
    elif fetch.schema.paged and not request.item:
        params.append(f"Limit={min(PAGE_SIZE, fetch.limit) if fetch.limit else PAGE_SIZE}")
        if fetch.offset:
            params.append(f"Offset={fetch.offset}")
    query = ("?" + "&".join(params)) if params else ""
    return f"GET {request.path}{query}"


def _pages(fetch: ApiFetch, request: ApiRequest) -> str:
    if fetch.count_only:
        return "1 request, no rows (countOnly)"
    if request.item:
        return "1 request (no rows if the id does not exist)"
    if not fetch.schema.paged:
        return "1 request (not paged)"
    if fetch.limit is not None:
        pages = max(1, math.ceil(fetch.limit / PAGE_SIZE))
        return f"at most {fetch.limit} rows: {pages} page{'s' if pages > 1 else ''}"
    return "pages: unknown until the first page is read"


def explain_statement(explain: ExplainPlan) -> list[str]:
    """The lines of ``EXPLAIN``: for a write or COPY what happens to the rows, then the plan."""
    write = explain.write
    if isinstance(write, DmlStatement):
        target = f"{write.operation.value} {'INTO ' if write.operation is Operation.INSERT else ''}{write.table}"
        if write.rows is not None:
            count = len(write.rows)
            return [
                f"{target}: {count} row{'' if count == 1 else 's'} given in the statement, "
                "checked against the table's write rules, then written through the API; "
                "nothing is read first."
            ]
        verb = "to write" if write.operation is Operation.INSERT else "to change"
        return [
            f"{target}: the rows {verb} come from the query below; each is checked against "
            "the table's write rules, then written through the API.",
            *explain_lines(explain.plan),
        ]
    if isinstance(write, CopyStatement):
        return [
            f"COPY to {write.path!r}: the rows of the query below are written to the file.",
            *explain_lines(explain.plan),
        ]
    return explain_lines(explain.plan)


def explain_lines(plan: QueryPlan) -> list[str]:
    """A query plan in words: the requests of each fetch, then the SQL DuckDB runs."""
    lines: list[str] = []
    if not plan.fetches:
        lines.append(
            "No Mailjet table is read: the statement runs in the local DuckDB database only."
        )
    for number, fetch in enumerate(plan.fetches, start=1):
        header = f"{number}. {fetch.table}"
        if fetch.alias and fetch.alias.lower() != fetch.table.lower():
            header += f" (as {fetch.alias})"
        lines.append(header + ":")
        if fetch.contradiction:
            lines.append(f"   no request: {fetch.contradiction}")
        elif fetch.keys is not None:
            keys = fetch.keys
            target = (
                f"parameter {keys.target_param}"
                if keys.target_param
                else f"path {{{keys.target_placeholder}}}"
            )
            how = "a comma-separated list per request" if keys.comma_list else "one request per key"
            lines.append(
                f"   first collects the keys {keys.source} (after their own filters), "
                f"then sends them in {target}, {how}"
            )
            if keys.over_limit is OverLimit.REFUSE:
                lines.append(f"   more than {keys.max_keys} keys: refused ({keys.refusal})")
            else:
                lines.append(
                    f"   more than {keys.max_keys} key{'' if keys.max_keys == 1 else 's'}: "
                    "reads the whole table instead"
                )
            key = f"<{keys.source}>"
            for request in fetch.requests:
                if keys.target_param:
                    words = _request_words(fetch, request, f"{keys.target_param}={key}")
                else:
                    words = _request_words(fetch, request).replace(
                        "{" + str(keys.target_placeholder) + "}", key
                    )
                label = "for each list of keys" if keys.comma_list else "for each key"
                lines.append(f"   {label}: {words}")
        else:
            count = len(fetch.requests)
            if count > 1:
                lines.append(f"   {count} requests (their rows are combined, duplicates removed):")
            for request in fetch.requests:
                lines.append(f"   {_request_words(fetch, request)}  [{_pages(fetch, request)}]")
        for predicate in fetch.predicates:
            params = f" -> {', '.join(predicate.params)}" if predicate.params else ""
            reason = f" ({predicate.reason})" if predicate.reason else ""
            lines.append(f"   {predicate.sql}: {predicate.pushdown.value}{params}{reason}")
        if fetch.columns is not None and not fetch.count_only and not fetch.contradiction:
            every = len(fetched_columns(fetch.schema))
            if fetch.columns:
                lines.append(
                    f"   loads {len(fetch.columns)} of {every} columns: {', '.join(fetch.columns)}"
                )
            else:
                lines.append(f"   loads none of its {every} columns: the rows are only counted")
        if fetch.count_only:
            lines.append("   COUNT(*) answered by the API (countOnly=1)")
        elif fetch.limit is not None:
            lines.append(
                f"   LIMIT pushed: Limit={fetch.limit}"
                + (f", Offset={fetch.offset}" if fetch.offset else "")
            )
        for note in fetch.notes:
            lines.append(f"   note: {note}")
        lines.append(f"   replication: {strategy_text(fetch.schema)}")
    lines.append("DuckDB then runs:")
    lines.extend("   " + line for line in plan.residual_sql.splitlines())
    return lines
