"""The shell's key bindings, from one factory. Each binding's docstring says what the key does."""

from __future__ import annotations

from prompt_toolkit.filters import Condition, completion_is_selected, has_completions
from prompt_toolkit.key_binding import KeyBindings, KeyPressEvent

from mjquery.frontend.sqltext import is_complete

QUIT_WORDS = frozenset({"exit", "quit", "exit;", "quit;"})


def input_is_ready(text: str) -> bool:
    """Whether Enter should run the buffer rather than start a new line.

    A statement runs at ``;``; a meta command (``.tables``, ``\\d``), an empty buffer and the
    words ``exit``/``quit`` run at once.
    """
    stripped = text.strip()
    if not stripped or stripped.lower() in QUIT_WORDS:
        return True
    if stripped.startswith((".", "\\")):
        return True
    return is_complete(text)


def build_key_bindings() -> KeyBindings:
    bindings = KeyBindings()

    @bindings.add("enter", filter=completion_is_selected)
    def _accept_completion(event: KeyPressEvent) -> None:
        """Enter with a completion selected: take it and keep editing (it does not run the statement)."""
        event.current_buffer.complete_state = None

    @Condition
    def _ready() -> bool:
        from prompt_toolkit.application import get_app

        buffer = get_app().current_buffer
        return input_is_ready(buffer.text) and buffer.document.is_cursor_at_the_end

    @bindings.add("enter", filter=~completion_is_selected & _ready)
    def _run(event: KeyPressEvent) -> None:
        """Enter after a complete statement (ending in ;) or a meta command: run it."""
        event.current_buffer.validate_and_handle()

    @bindings.add("enter", filter=~completion_is_selected & ~_ready)
    def _newline(event: KeyPressEvent) -> None:
        """Enter inside an unfinished statement: new line, indented like the previous one."""
        event.current_buffer.newline(copy_margin=True)

    @bindings.add("escape", "enter")
    def _run_now(event: KeyPressEvent) -> None:
        """Alt-Enter (Esc then Enter): run the buffer as it is, ; or not."""
        event.current_buffer.validate_and_handle()

    @bindings.add("tab", filter=~has_completions)
    def _complete(event: KeyPressEvent) -> None:
        """Tab: open the completion menu (or complete at once when only one name fits)."""
        event.current_buffer.start_completion(insert_common_part=True)

    @bindings.add("tab", filter=has_completions)
    def _next(event: KeyPressEvent) -> None:
        """Tab in the menu: move to the next name."""
        event.current_buffer.complete_next()

    return bindings
