"""Names for the kinds :func:`~mjquery.shell.suggest.suggest` asks for, and the prompt_toolkit completer.

:func:`candidates` is pure (catalog objects and word lists in, typed candidates out) so it is
tested without a terminal; :class:`SqlCompleter` only adapts it to prompt_toolkit. Columns whose
predicates are pushed to the API say so in their description (``API: =, LIKE 'x%'``): a filter
on them costs fewer requests.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

from mjquery.frontend.schema_view import column_infos
from mjquery.output import OutputFormat
from mjquery.schema.model import ObjectSchema
from mjquery.shell.suggest import (
    META_COMMANDS,
    CompletionContext,
    SuggestionKind,
    TableRef,
    quiet,
    suggest,
)


@dataclass(frozen=True)
class Candidate:
    """One completion: the text to insert, and what the menu shows beside it."""

    text: str
    kind: SuggestionKind
    meta: str = ""
    pushed: bool = False  # a column with predicates pushed to the API


_PLAIN_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def sql_name(name: str, reserved: Iterable[str] = (), *, quoted: bool = False) -> str:
    """``name`` as it must be typed: in double quotes when it is not a plain identifier
    (``"campaigndraft/detailcontent"``, ``"Html-part"``) or is a reserved word (``"From"``),
    or when the user opened a quote (``quoted``)."""
    if quoted or not _PLAIN_NAME.fullmatch(name) or name.upper() in reserved:
        return '"' + name.replace('"', '""') + '"'
    return name


def _matches(word: str, name: str) -> int | None:
    """Rank of ``name`` for the typed ``word``: 0 prefix, 1 contains, None no match."""
    word = word.lstrip('"')
    if not word:
        return 0
    lowered, typed = name.lower(), word.lower()
    if lowered.startswith(typed):
        return 0
    if len(typed) >= 2 and typed in lowered:
        return 1
    return None


def _keyword_case(word: str, keyword: str) -> str:
    return keyword.lower() if word and word[0].islower() else keyword


def _resolve(ref: TableRef, objects: Sequence[ObjectSchema]) -> ObjectSchema | None:
    lowered = ref.name.lower()
    for obj in objects:
        if obj.name.lower() == lowered or any(a.lower() == lowered for a in obj.aliases):
            return obj
    return None


def _column_meta(obj: ObjectSchema, several: bool) -> Iterator[Candidate]:
    for info in column_infos(obj):
        parts = [info.type]
        if info.pushed:
            parts.append("API: " + ", ".join(info.pushed))
        if info.pseudo:
            parts.append("API filter only" + (", required" if info.required else ""))
        if several:
            parts.append(obj.name)
        yield Candidate(
            info.name, SuggestionKind.COLUMN, " · ".join(parts), pushed=bool(info.pushed)
        )


def candidates(
    context: CompletionContext,
    objects: Sequence[ObjectSchema],
    *,
    keywords: Callable[[], Iterable[str]],
    functions: Callable[[], Iterable[str]],
) -> list[Candidate]:
    """Every name that fits ``context``, best first: columns, then tables, functions, keywords.

    Within a kind, prefix matches come before substring matches. ``keywords`` and ``functions``
    are called only when those kinds fit (loading them costs a DuckDB query once).
    """
    word = context.word
    ranked: list[tuple[int, int, Candidate]] = []
    seen: set[tuple[str, SuggestionKind]] = set()

    def add(order: int, candidate: Candidate) -> None:
        rank = _matches(word, candidate.text)
        key = (candidate.text.lower(), candidate.kind)
        if rank is None or key in seen:
            return
        seen.add(key)
        ranked.append((rank, order, candidate))

    for order, suggestion in enumerate(context.suggestions):
        kind = suggestion.kind
        if kind is SuggestionKind.COLUMN:
            tables = [t for t in (_resolve(r, objects) for r in suggestion.tables) if t is not None]
            for obj in tables:
                for cand in _column_meta(obj, several=len(tables) > 1):
                    add(order, cand)
        elif kind is SuggestionKind.TABLE:
            for obj in objects:
                add(order, Candidate(obj.name, kind, obj.resource))
            for obj in objects:
                for alias in obj.aliases:
                    if word.lstrip('"') and alias.lower().startswith(word.lstrip('"').lower()):
                        add(order, Candidate(alias, kind, f"alias of {obj.name}"))
        elif kind is SuggestionKind.FUNCTION:
            if word:
                for name in functions():
                    add(
                        order,
                        Candidate(name if word[0].islower() else name.upper(), kind, "function"),
                    )
        elif kind is SuggestionKind.KEYWORD:
            for name in keywords():
                add(order, Candidate(_keyword_case(word, name), kind, "keyword"))
        elif kind is SuggestionKind.META:
            for name, help_text in META_COMMANDS:
                if name.startswith(word[:1] or name[0]):
                    add(order, Candidate(name, kind, help_text))
        elif kind is SuggestionKind.FORMAT:
            for fmt in OutputFormat:
                add(order, Candidate(fmt.value, kind, "output format"))
        elif kind is SuggestionKind.CHOICE:
            for choice in suggestion.choices:
                add(order, Candidate(choice, kind))
    ranked.sort(key=lambda item: (item[0], item[1]))
    return [c for _, _, c in ranked]


def _tables_for_columns(context: CompletionContext) -> list[str]:
    return [
        ref.name
        for suggestion in context.suggestions
        if suggestion.kind is SuggestionKind.COLUMN
        for ref in suggestion.tables
    ]


class SqlCompleter(Completer):
    """Context-aware completion over the catalog of the connection."""

    def __init__(
        self,
        objects: Callable[[], Sequence[ObjectSchema]],
        *,
        keywords: Callable[[], Iterable[str]],
        functions: Callable[[], Iterable[str]],
        reserved: Callable[[], frozenset[str]] = frozenset,
        table: Callable[[str], ObjectSchema | None] | None = None,
    ) -> None:
        self._objects = objects
        # a table as the connection sees it now: ContactProperties with the account's property
        # columns (read from the API on first use)
        self._table = table
        self._keywords = keywords
        self._functions = functions
        self._reserved = reserved
        self._paths = PathCompleter(expanduser=True)

    def get_completions(
        self, document: Document, complete_event: CompleteEvent
    ) -> Iterator[Completion]:
        if not complete_event.completion_requested and quiet(document.text_before_cursor):
            return  # an empty line, or just after ;: no menu while typing (Tab still opens one)
        context = suggest(document.text_before_cursor, document.text_after_cursor)
        if SuggestionKind.PATH in context.kinds():
            word_document = Document(context.word, len(context.word))
            yield from self._paths.get_completions(word_document, complete_event)
            return
        for cand in candidates(
            context, self._with_columns(context), keywords=self._keywords, functions=self._functions
        ):
            text = cand.text
            if cand.kind in (SuggestionKind.TABLE, SuggestionKind.COLUMN):
                text = sql_name(text, self._reserved(), quoted=context.word.startswith('"'))
            display = text + (" ⇣" if cand.pushed else "")
            yield Completion(
                text,
                start_position=-len(context.word),
                display=display,
                display_meta=cand.meta,
            )

    def _with_columns(self, context: CompletionContext) -> list[ObjectSchema]:
        """The catalog's tables, those whose columns are wanted as the connection sees them."""
        objects = list(self._objects())
        if self._table is None:
            return objects
        for name in _tables_for_columns(context):
            try:
                found = self._table(name)
            except Exception:  # completion never fails: the file's columns are shown then
                continue
            if found is None:
                continue
            objects = [found if o.name == found.name else o for o in objects]
        return objects
