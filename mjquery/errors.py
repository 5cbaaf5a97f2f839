"""One rooted exception hierarchy for everything mjquery raises.

PEP 249's classes are the spine, so DB-API users can catch what they expect. Each layer that
talks to a foreign library (sqlglot, httpx, duckdb) translates its exceptions here, at exactly
one boundary, with ``raise ... from exc``. Messages are written for the user: what went wrong
and what to type instead. They never contain credentials.
"""

from __future__ import annotations


class Warning(Exception):
    """Important warnings such as data truncation (PEP 249)."""


class Error(Exception):
    """Base class of every mjquery error (PEP 249)."""


class InterfaceError(Error):
    """Misuse of the DB-API interface itself (closed cursor, fetch before execute)."""


class DatabaseError(Error):
    """Errors related to the Mailjet account or the local database."""


class DataError(DatabaseError):
    """A value does not fit its column: bad type, bad timestamp, out of range."""


class OperationalError(DatabaseError):
    """The API could not be used: unreachable, credentials refused, rate limited or failing."""


class IntegrityError(DatabaseError):
    """The API refused a write because of a uniqueness rule (e.g. MJ18 duplicate contact email)."""


class InternalError(DatabaseError):
    """An mjquery bug: an invariant did not hold."""


class ProgrammingError(DatabaseError):
    """Bad SQL, an unknown table or column, a missing required filter."""


class NotSupportedError(DatabaseError):
    """An operation the Mailjet object does not allow; the message names the rule."""


class SqlSyntaxError(ProgrammingError):
    """SQL that does not parse. Carries the position so front ends can point at it."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        highlight: str | None = None,
    ) -> None:
        super().__init__(message)
        self.line = line
        self.column = column
        self.highlight = highlight


class AuthenticationError(OperationalError):
    """The API refused the key pair (HTTP 401)."""


class RateLimitError(OperationalError):
    """HTTP 429 still returned after every retry."""


class ApiError(DatabaseError):
    """An error answer from the Mailjet API, with its status code and message.

    Raised as a subclass that matches the meaning (see ``mjquery.api.errors``); kept here so
    front ends can show ``status`` and ``api_message`` without importing the API layer.
    """

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        api_message: str | None = None,
        method: str | None = None,
        path: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.api_message = api_message
        self.method = method
        self.path = path


def closest(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """The candidate closest to ``name`` (case-insensitive), for 'did you mean' messages."""
    import difflib

    lowered = {c.lower(): c for c in candidates}
    match = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.5)
    return lowered[match[0]] if match else None
