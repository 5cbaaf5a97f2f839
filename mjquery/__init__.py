"""mjquery: SQL over the Mailjet email API.

This module is the Python DB-API 2.0 (PEP 249) surface: ``mjquery.connect(...)`` returns a
connection whose cursors run SQL against a Mailjet account (or the embedded demo sandbox).
"""

from __future__ import annotations

__version__ = "0.1.0"
