"""The write path: runs write plans against the Mailjet API.

Validation (refuse before any request, naming the rule), one request per row or bulk jobs,
read-back verification of ambiguous writes, per-row results. Depends on ``api`` and ``schema``
only; SQL is parsed elsewhere (``planner/dml.py``) and the rows to change are found by the
SELECT engine.

    from mjquery.writes import WritePlan, RowWrite, execute
    plan = WritePlan("Contact", Operation.INSERT, (RowWrite({"Email": "a@b.c"}),))
    result = execute(plan, catalog, api_client)       # WriteResult(written=1, failed=())
"""

from mjquery.schema.model import Operation
from mjquery.writes.execute import dry_run, execute, prepare, run
from mjquery.writes.gdpr import gdpr_delete_contacts
from mjquery.writes.plan import (
    ApiWrite,
    BulkJob,
    DryRun,
    OnConflict,
    OnError,
    Outcome,
    ReadBack,
    RowFailure,
    RowWrite,
    WriteObserver,
    WriteOptions,
    WritePlan,
    WriteResult,
)
from mjquery.writes.validate import GDPR_DELETE_PATH, LIST_ACTIONS, validate

__all__ = [
    "GDPR_DELETE_PATH",
    "LIST_ACTIONS",
    "ApiWrite",
    "BulkJob",
    "DryRun",
    "OnConflict",
    "OnError",
    "Operation",
    "Outcome",
    "ReadBack",
    "RowFailure",
    "RowWrite",
    "WriteObserver",
    "WriteOptions",
    "WritePlan",
    "WriteResult",
    "dry_run",
    "execute",
    "gdpr_delete_contacts",
    "prepare",
    "run",
    "validate",
]
