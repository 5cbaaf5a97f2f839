"""Which tables replicate, how, and the words that say so (``replicate --list``, ``describe``, EXPLAIN).

Everything here is read from the schema files: a table replicates when its file declares an
``incremental`` strategy (the loader refuses one for a table that needs a filter or a parent
id). :func:`strategy_text` is the one sentence every front end shows for a table.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from mjquery.errors import NotSupportedError
from mjquery.schema.model import Incremental, ObjectSchema
from mjquery.schema.replication import (
    STRATEGY_LABEL,
    not_replicable_reason,
    strategy_text,
    window_column,
)


@dataclass(frozen=True)
class Replicability:
    """One table's answer for ``replicate --list``."""

    table: str
    replicable: bool
    strategy: Incremental | None
    detail: str  # how later runs read and write, or why the table is not replicated


def replicability(schema: ObjectSchema) -> Replicability:
    return Replicability(
        table=schema.name,
        replicable=schema.incremental is not None,
        strategy=schema.incremental,
        detail=strategy_text(schema).split(": ", 1)[1],
    )


def replicable_tables(objects: Iterable[ObjectSchema]) -> tuple[ObjectSchema, ...]:
    """Every table replication copies when no ``--tables`` are given."""
    return tuple(s for s in objects if s.incremental is not None)


def choose_tables(catalog: object, names: Sequence[str] | None) -> tuple[ObjectSchema, ...]:
    """The tables of ``--tables`` (every replicable one when None), in the order given.

    An unknown name raises with the closest name; a table that cannot be replicated raises
    naming the rule.
    """
    if not names:
        return replicable_tables(catalog.objects)  # type: ignore[attr-defined]
    chosen: list[ObjectSchema] = []
    for name in names:
        schema: ObjectSchema = catalog.get(name.strip())  # type: ignore[attr-defined]
        if schema.incremental is None:
            raise NotSupportedError(
                f"{schema.name} cannot be replicated: {not_replicable_reason(schema)}"
            )
        if schema not in chosen:
            chosen.append(schema)
    return tuple(chosen)


__all__ = [
    "STRATEGY_LABEL",
    "Replicability",
    "choose_tables",
    "replicability",
    "replicable_tables",
    "strategy_text",
    "window_column",
]
