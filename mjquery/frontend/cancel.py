"""Ctrl-C that always works: the connection's work runs on a worker thread, the main thread waits.

DuckDB catches Ctrl-C itself while a query runs on the main thread, then waits there until every
one of its worker tasks has noticed the cancellation — for some plans (a nested-loop join over
three tables) that takes minutes, and a second Ctrl-C cannot reach Python meanwhile. So the front
ends hand each call on the connection (execute, fetch a batch of rows, dry-run) to
:meth:`Interruptible.call`, which runs it on a worker thread. On Ctrl-C the main thread:

1. marks the call cancelled — the fetch-progress callback (:meth:`Interruptible.check`) raises
   :class:`QueryCancelled` inside the worker at the next page, so API reads stop;
2. interrupts DuckDB (``Connection.interrupt()``);
3. waits ``grace`` seconds for the worker to end, then raises :class:`QueryCancelled` whether it
   ended or not. A worker DuckDB is still cancelling holds the connection; the next call waits
   for it, saying so.

A write is different: stopping it halfway would leave the account in a state nobody reported. A
write statement cancelled before its first change ends like a query; one still running after the
grace period is waited for (its outcome is then shown as usual), unless the user presses Ctrl-C
again, which stops waiting and says that the outcome is unknown.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, cast

from mjquery.errors import InterfaceError

T = TypeVar("T")

POLL_SECONDS = 0.1


class QueryCancelled(InterfaceError):
    """The user pressed Ctrl-C; the statement was stopped (or is no longer waited for)."""

    def __init__(self, message: str = "query cancelled") -> None:
        super().__init__(message)


@dataclass
class _Call(Generic[T]):
    """One piece of work on the worker thread, and how it ended.

    ``abandon`` is called (on the worker) with the result of work that completed after it was
    cancelled: nobody will read it, so e.g. the cursor holding it is closed.
    """

    work: Callable[[], T]
    write: bool
    abandon: Callable[[T], object] | None = None
    cancelled: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)
    result: T | None = None
    error: BaseException | None = None

    def run(self) -> None:
        try:
            result = self.work()
            if self.cancelled.is_set() and self.abandon is not None and not self.write:
                with contextlib.suppress(Exception):
                    self.abandon(result)
            self.result = result
        except BaseException as exc:  # handed to the main thread, which raises it
            self.error = exc
        finally:
            self.done.set()


class _Worker:
    """One daemon thread running calls one after the other.

    Every call of a statement (execute, then each fetch) runs on the same thread, as a DB-API
    cursor requires. A worker left running a cancelled call is retired: it ends after that
    call, and the next statement gets a new worker.
    """

    def __init__(self, calls: dict[int, _Call[Any]], lock: threading.Lock) -> None:
        self._queue: queue.SimpleQueue[_Call[Any] | None] = queue.SimpleQueue()
        self._calls, self._lock = calls, lock
        self.thread = threading.Thread(target=self._loop, name="mjquery-statement", daemon=True)
        self.thread.start()

    def submit(self, call: _Call[Any]) -> None:
        self._queue.put(call)

    def retire(self) -> None:
        self._queue.put(None)

    def _loop(self) -> None:
        ident = threading.get_ident()
        while (call := self._queue.get()) is not None:
            with self._lock:
                self._calls[ident] = call
            try:
                call.run()
            finally:
                with self._lock:
                    self._calls.pop(ident, None)


class Interruptible:
    """Runs calls on the connection so that Ctrl-C returns control within ``grace`` seconds.

    ``interrupt`` stops the DuckDB part of a running statement (``Connection.interrupt``);
    ``notify`` shows a one-line message to the user (waiting for a cancelled statement).
    """

    def __init__(
        self,
        interrupt: Callable[[], None] | None = None,
        *,
        notify: Callable[[str], None] | None = None,
        grace: float = 1.0,
    ) -> None:
        self.interrupt = interrupt
        self.notify = notify or (lambda message: None)
        self.grace = grace
        self._calls: dict[int, _Call[Any]] = {}  # the call each worker thread runs
        self._lock = threading.Lock()
        self._worker: _Worker | None = None
        self._stuck: _Worker | None = None  # retired while running a cancelled call

    # -- in the worker ----------------------------------------------------------------------------

    def check(self) -> None:
        """Raise :class:`QueryCancelled` when the call running on this thread was cancelled.

        Called from the fetch-progress callback, i.e. between API pages.
        """
        with self._lock:
            call = self._calls.get(threading.get_ident())
        if call is not None and call.cancelled.is_set():
            raise QueryCancelled()

    # -- in the main thread -----------------------------------------------------------------------

    @property
    def busy(self) -> bool:
        """Whether a cancelled call is still running (it holds the connection)."""
        return self._stuck is not None and self._stuck.thread.is_alive()

    def call(
        self,
        work: Callable[[], T],
        *,
        write: bool = False,
        abandon: Callable[[T], object] | None = None,
    ) -> T:
        """``work()`` on the worker thread; Ctrl-C in the main thread cancels it (see the module).

        ``write``: the work changes the account (see the module). ``abandon``: what to do with a
        result that arrives after the call was cancelled.
        """
        if self.busy:
            self.notify("waiting for the cancelled statement to stop (Ctrl-C to give up)")
        call: _Call[T] = _Call(work, write, abandon)
        if self._worker is None:
            self._worker = _Worker(self._calls, self._lock)
        self._worker.submit(call)
        try:
            while not call.done.wait(POLL_SECONDS):
                pass
        except KeyboardInterrupt:
            self._cancel(call)
        if call.error is not None:
            raise call.error
        return cast(T, call.result)

    def _cancel(self, call: _Call[T]) -> None:
        """Ctrl-C arrived while ``call`` ran: stop it, wait a little, raise QueryCancelled."""
        call.cancelled.set()
        if self.interrupt is not None:
            with contextlib.suppress(Exception):  # a closed connection: nothing runs on it
                self.interrupt()
        try:
            ended = call.done.wait(self.grace)
        except KeyboardInterrupt:
            ended = call.done.is_set()
        if ended and call.error is None and call.write:
            return  # the write finished: its outcome is shown as usual
        if not ended and call.write and self._wait_for_write(call):
            return
        if not call.done.is_set():
            self._retire()
        raise QueryCancelled(
            "stopped waiting: the write goes on in the background and its outcome is "
            "unknown; check the rows with a SELECT before running it again"
            if call.write and not call.done.is_set()
            else "query cancelled"
        )

    def _retire(self) -> None:
        """The worker is held by a cancelled call: later statements get a new one."""
        if self._worker is not None:
            self._worker.retire()
            self._stuck, self._worker = self._worker, None

    def _wait_for_write(self, call: _Call[T]) -> bool:
        """Wait for a write to end; False when the user pressed Ctrl-C again."""
        self.notify(
            "the write is being applied and cannot be stopped halfway; waiting for it to "
            "finish so its outcome can be shown (Ctrl-C again to stop waiting)"
        )
        try:
            while not call.done.wait(POLL_SECONDS):
                pass
        except KeyboardInterrupt:
            return False
        return True
