"""The sandbox as a real HTTP server on 127.0.0.1, driven by the official ``mailjet-rest`` client."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import mailjet_rest
import pytest
from mailjet_rest.errors import MailjetAuthError, ValidationError

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox, SandboxConfig, SandboxServer
from tests.sandbox_fixtures import contact, small_account

pytestmark = pytest.mark.server


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, SandboxServer]]:
    account = small_account()
    # 2,345 contacts: three pages of 1,000.
    account.resources["contact"].extend(contact(i, f"bulk{i}@load.test") for i in range(7, 2346))
    sandbox = Sandbox(data=account)
    with SandboxServer(sandbox, host="127.0.0.1", port=0) as server:
        yield sandbox, server


@pytest.fixture
def mj(served: tuple[Sandbox, SandboxServer]) -> mailjet_rest.Client:
    return mailjet_rest.Client(
        auth=(DEMO_API_KEY, DEMO_API_SECRET), api_url=served[1].url + "/", version="v3"
    )


def test_server_url_is_loopback_with_the_bound_port(served: tuple[Sandbox, SandboxServer]) -> None:
    url = served[1].url
    assert url.startswith("http://127.0.0.1:") and int(url.rsplit(":", 1)[1]) > 0


def test_paging_through_all_contacts_with_limit_1000(
    mj: mailjet_rest.Client, served: tuple[Sandbox, SandboxServer]
) -> None:
    sandbox = served[0]
    total = mj.contact.get(filters={"countOnly": 1}).json()["Total"]
    assert total == 2345
    seen: list[int] = []
    offset = 0
    while True:
        page = mj.contact.get(filters={"Limit": 1000, "Offset": offset}).json()
        if not page["Data"]:
            break
        assert page["Count"] == page["Total"] == len(page["Data"])
        seen.extend(row["ID"] for row in page["Data"])
        offset += 1000
    assert seen == list(range(1, 2346))
    pages = sandbox.log.requests(method="GET", path="/v3/REST/contact")
    assert [r.param("Offset") for r in pages if r.param("Limit") == "1000"] == [
        "0",
        "1000",
        "2000",
        "3000",
    ]
    assert all(r.status == 200 for r in pages)


def test_filter_by_list_and_read_by_email(mj: mailjet_rest.Client) -> None:
    members = mj.contact.get(filters={"ContactsList": 2}).json()["Data"]
    assert [row["Email"] for row in members] == ["bob@acme.com", "dave@example.org"]
    one = mj.contact.get(id="dave@example.org").json()
    assert one["Count"] == 1 and one["Data"][0]["ID"] == 4


def test_create_duplicate_update_and_soft_delete(
    mj: mailjet_rest.Client, served: tuple[Sandbox, SandboxServer]
) -> None:
    sandbox = served[0]
    created = mj.contact.create(data={"Email": "zoe@acme.com", "Name": "Zoe"})
    assert created.status_code == 201 and created.json()["Data"][0]["Email"] == "zoe@acme.com"
    with pytest.raises(ValidationError) as duplicate:
        mj.contact.create(data={"Email": "zoe@acme.com"})
    assert 'MJ18 A Contact resource with value "zoe@acme.com" for Email already exists.' in str(
        duplicate.value
    )
    updated = mj.contact.update(id="zoe@acme.com", data={"Name": "Zoé"})
    assert updated.status_code == 200 and updated.json()["Data"][0]["Name"] == "Zoé"
    assert sandbox.store.contact("zoe@acme.com")["Name"] == "Zoé"
    deleted = mj.contactslist.delete(id=2)
    assert deleted.status_code == 204
    assert mj.contactslist.get(id=2).json()["Data"][0]["IsDeleted"] is True
    statuses = [(r.method, r.status) for r in sandbox.log.requests() if r.method != "GET"]
    assert statuses == [("POST", 201), ("POST", 400), ("PUT", 200), ("DELETE", 204)]


def test_bad_credentials_are_401(served: tuple[Sandbox, SandboxServer]) -> None:
    bad = mailjet_rest.Client(
        auth=(DEMO_API_KEY, "not-the-secret"), api_url=served[1].url + "/", version="v3"
    )
    with pytest.raises(MailjetAuthError):
        bad.contact.get()
    raw = httpx.get(served[1].url + "/v3/REST/contact", auth=("nope", "nope"))
    assert raw.status_code == 401 and raw.content == b""
    assert raw.headers["www-authenticate"] == 'Basic realm="Provide an apiKey and secretKey"'
    assert served[0].log[-1].status == 401


def test_keep_alive_serves_many_requests_on_one_connection(
    served: tuple[Sandbox, SandboxServer],
) -> None:
    with httpx.Client(base_url=served[1].url, auth=(DEMO_API_KEY, DEMO_API_SECRET)) as http:
        statuses = {http.get("/v3/REST/contactslist").status_code for _ in range(20)}
    assert statuses == {200}


def test_dropped_and_truncated_answers_over_sockets() -> None:
    for config in (SandboxConfig(drop_rate=1.0), SandboxConfig(truncate_rate=1.0)):
        sandbox = Sandbox(data=small_account(), config=config)
        with SandboxServer(sandbox) as server, pytest.raises(httpx.TransportError):
            httpx.get(server.url + "/v3/REST/contact", auth=(DEMO_API_KEY, DEMO_API_SECRET))
