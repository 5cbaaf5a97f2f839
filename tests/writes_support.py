"""A small, hand-made Mailjet account in the in-process sandbox, for the write-path tests.

Small on purpose: every row a test writes or reads back is visible in this file.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import httpx

from mjquery.api import ApiClient, ApiConfig, RetryPolicy
from mjquery.api.clock import SYSTEM_CLOCK, Clock
from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig
from mjquery.schema import load_catalog

CATALOG = load_catalog()


def small_account() -> SimpleNamespace:
    contacts = [
        {
            "ID": 1,
            "Email": "ann@example.com",
            "Name": "Ann",
            "IsExcludedFromCampaigns": False,
            "CreatedAt": "2025-01-01T10:00:00Z",
            "DeliveredCount": 0,
        },
        {
            "ID": 2,
            "Email": "bob@example.com",
            "Name": "Bob",
            "IsExcludedFromCampaigns": False,
            "CreatedAt": "2025-01-02T10:00:00Z",
            "DeliveredCount": 0,
        },
        {
            "ID": 3,
            "Email": "cy@example.com",
            "Name": "Cy",
            "IsExcludedFromCampaigns": False,
            "CreatedAt": "2025-01-03T10:00:00Z",
            "DeliveredCount": 0,
        },
    ]
    lists = [
        {
            "ID": 7,
            "Name": "Newsletter",
            "IsDeleted": False,
            "Address": "nl7",
            "SubscriberCount": 2,
            "CreatedAt": "2024-06-01T00:00:00Z",
        },
        {
            "ID": 8,
            "Name": "VIP",
            "IsDeleted": False,
            "Address": "vip8",
            "SubscriberCount": 0,
            "CreatedAt": "2024-06-02T00:00:00Z",
        },
    ]
    recipients = [
        {
            "ID": 1,
            "ContactID": 1,
            "ListID": 7,
            "IsActive": True,
            "IsUnsubscribed": False,
            "SubscribedAt": "2024-07-01T00:00:00Z",
            "UnsubscribedAt": "",
            "ListName": "Newsletter",
        },
        {
            "ID": 2,
            "ContactID": 2,
            "ListID": 7,
            "IsActive": True,
            "IsUnsubscribed": False,
            "SubscribedAt": "2024-07-01T00:00:00Z",
            "UnsubscribedAt": "",
            "ListName": "Newsletter",
        },
    ]
    metadata = [
        {"ID": 1, "Name": "age", "Datatype": "int", "NameSpace": "static"},
        {"ID": 2, "Name": "country", "Datatype": "str", "NameSpace": "static"},
    ]
    contactdata = [
        {"ID": 1, "ContactID": 1, "Data": [{"Name": "age", "Value": "30"}], "MethodCollection": ""},
        {"ID": 2, "ContactID": 2, "Data": [], "MethodCollection": ""},
    ]
    campaigns = [
        {
            "ID": 100,
            "Subject": "Spring sale",
            "IsDeleted": False,
            "IsStarred": False,
            "Status": 2,
            "CustomValue": "mj.nl=11",
            "CreatedAt": "2025-03-01T00:00:00Z",
            "FromEmail": "me@example.com",
        },
    ]
    draft = {
        "Locale": "en_US",
        "Sender": "Me",
        "SenderEmail": "me@example.com",
        "ContactsListID": 7,
        "Title": "",
        "IsStarred": False,
        "CreatedAt": "2025-02-01T00:00:00Z",
        "ModifiedAt": "",
        "EditMode": "html2",
        "Url": "",
        "SegmentationID": 0,
        "TemplateID": 0,
        "DeliveredAt": "",
    }
    drafts = [
        {**draft, "ID": 10, "Subject": "Summer news", "Used": False, "Status": 0, "CampaignID": 0},
        {**draft, "ID": 11, "Subject": "Spring sale", "Used": True, "Status": 2, "CampaignID": 100},
    ]
    templates = [
        {
            "ID": 20,
            "Name": "Old promo",
            "OwnerType": "apikey",
            "Author": "",
            "IsStarred": False,
            "Description": "",
            "Locale": "en_US",
            "Purposes": [],
            "Categories": [],
        },
    ]
    return SimpleNamespace(
        resources={
            "contact": contacts,
            "contactslist": lists,
            "listrecipient": recipients,
            "contactmetadata": metadata,
            "contactdata": contactdata,
            "campaign": campaigns,
            "campaigndraft": drafts,
            "template": templates,
        },
        sub_resources={},
        api_key_id=1,
        now=None,
    )


def writes_sandbox(**config: Any) -> Sandbox:
    """A new sandbox serving :func:`small_account`, with ``config`` as its SandboxConfig."""
    return Sandbox(data=small_account(), config=SandboxConfig(**config))


def client_for(
    sb: Sandbox,
    transport: httpx.BaseTransport | None = None,
    *,
    clock: Clock | None = None,
    **config: Any,
) -> ApiClient:
    """A client of ``sb``. ``clock``: e.g. a FakeClock, for backoff and read-back polls that
    follow their schedule without waiting (the sandbox's own delays still take real time)."""
    cfg = ApiConfig(
        api_key=DEMO_API_KEY,
        api_secret=DEMO_API_SECRET,
        retry=RetryPolicy(max_attempts=3, backoff_base=0.0, backoff_max=0.0),
        **config,
    )
    return ApiClient(cfg, transport=transport or sb.transport(), clock=clock or SYSTEM_CLOCK)


def writes_in(sb: Sandbox) -> list[tuple[str, str]]:
    """The (method, path) of every write the sandbox served."""
    return [(r.method, r.path) for r in sb.log if r.method in ("POST", "PUT", "DELETE")]


def row(sb: Sandbox, resource: str, id_value: int) -> dict[str, Any]:
    return next(r for r in sb.data.resources[resource] if r.get("ID") == id_value)


class RecordingTransport(httpx.BaseTransport):
    """Forwards to the sandbox and keeps each write's JSON body (the sandbox log has no bodies).

    ``lose_answer_of``: for the first request with this method, the sandbox applies it but the
    client gets a read timeout (the ambiguous failure). ``fail_before``: the first request with
    this method gets a 503 without reaching the sandbox (not applied).
    """

    def __init__(
        self, sb: Sandbox, *, lose_answer_of: str | None = None, fail_before: str | None = None
    ) -> None:
        self.inner = sb.transport()
        self.bodies: list[tuple[str, str, Any]] = []
        self.lose_answer_of = lose_answer_of
        self.fail_before = fail_before

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        import orjson

        if request.method in ("POST", "PUT", "DELETE"):
            content = request.read()
            self.bodies.append(
                (request.method, request.url.path, orjson.loads(content) if content else None)
            )
        if self.fail_before == request.method:
            self.fail_before = None
            return httpx.Response(
                503, json={"ErrorInfo": "", "ErrorMessage": "Unavailable", "StatusCode": 503}
            )
        response = self.inner.handle_request(request)
        if self.lose_answer_of == request.method:
            self.lose_answer_of = None
            response.read()
            raise httpx.ReadTimeout("timed out", request=request)
        return response
