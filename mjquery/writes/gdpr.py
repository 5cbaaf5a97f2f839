"""GDPR deletion of contacts: ``DELETE /v4/contacts/{contact_ID}``, offered only by name.

Mailjet's v3 API cannot delete a contact; the documented way is the v4 GDPR endpoint, which
anonymises the contact at once (its email becomes ``<hash>@domain.invalid``) and purges it after
30 days. That is not what ``DELETE FROM Contact`` means to most people, and it cannot be undone,
so mjquery never runs it for a plain DELETE: callers ask for it with
:func:`gdpr_delete_contacts` (or ``connection.gdpr_delete_contacts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mjquery.api.errors import ApiNotFoundError
from mjquery.api.paths import quote_segment
from mjquery.errors import ApiError
from mjquery.schema.model import Column, SqlType
from mjquery.writes.plan import RowFailure, WriteResult
from mjquery.writes.values import to_api_value

_ID = Column("ContactID", SqlType.BIGINT, read_only=False, nullable=False)


def gdpr_delete_contacts(client: Any, contact_ids: Iterable[Any]) -> WriteResult:
    """Anonymise each contact (by numeric ID) through the v4 GDPR endpoint; irreversible."""
    ids = [to_api_value("Contact", _ID, value) for value in contact_ids]
    failures: list[RowFailure] = []
    written = 0
    for index, contact_id in enumerate(ids):

        def anonymised(contact_id: int = contact_id) -> bool:
            try:
                page = client.get(f"/v3/REST/contact/{quote_segment(contact_id)}")
            except ApiNotFoundError:
                return True
            email = str(page.data[0].get("Email", "")) if page.data else ""
            return not page.data or email.endswith("@domain.invalid")

        try:
            client.delete(f"/v4/contacts/{quote_segment(contact_id)}", verify=anonymised)
        except ApiError as exc:
            failures.append(
                RowFailure(index, f"ContactID {contact_id}", exc.api_message or str(exc))
            )
            continue
        written += 1
    client.invalidate("contact")
    client.invalidate("contactdata")
    client.invalidate("listrecipient")
    return WriteResult(written=written, failed=tuple(failures))
