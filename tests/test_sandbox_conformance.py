"""Conformance with the vendored reference, generated from it (not hand-picked).

For every GET-able resource the sandbox serves: the fields returned are exactly the fields the
reference lists; every listed filter is accepted; every sortable field sorts both ways where DESC
is allowed and DESC is refused where the reference says so; a field that is not sortable is refused
(in production's words: mailjet-apiv3-php#178).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from mjquery.sandbox import DEMO_API_KEY, DEMO_API_SECRET, Sandbox
from mjquery.sandbox.api.core import ADDED_BY_PRODUCTION, NEVER_SENT, OMITTED_WHEN_UNSET
from mjquery.sandbox.api.reference import ResourceSpec, top_level_resources
from tests.sandbox_fixtures import BASE_URL, reference_row, small_account

RESOURCES = sorted(name for name, spec in top_level_resources().items() if "GET" in spec.methods)
PROBES = {
    "int": "1",
    "bool": "true",
    "float": "1.5",
    "datetime": "2024-01-01T00:00:00Z",
    "str": "x",
}
SHOW_ALL = {"ShowSubject": "true", "ShowContactAlt": "true", "ShowCustomID": "true"}
#: Filters the reference makes mandatory (statcounters refuses a request without them).
REQUIRED = {
    "statcounters": {
        "CounterSource": "APIKey",
        "CounterResolution": "Lifetime",
        "CounterTiming": "Message",
    }
}
#: Valid values for the statcounters filters (their probes would be refused as invalid values).
STATCOUNTER_PROBES = {
    "CounterSource": "Campaign",
    "CounterResolution": "Day",
    "CounterTiming": "Event",
    "CounterType": "CMD",
    "FromTS": "2024-01-01T00:00:00Z",
    "ToTS": "2030-01-01T00:00:00Z",
}


@pytest.fixture(scope="module", params=["small", "demo"])
def conformance_sandbox(request: pytest.FixtureRequest) -> Sandbox:
    if request.param == "demo":
        return Sandbox(seed=42, scale=0.2)
    account = small_account()
    for name in RESOURCES:
        rows = account.resources[name]
        if len(rows) == 1 and name not in (
            "contactdata",
            "contactslist",
            "template",
            "contactmetadata",
        ):
            rows.extend(reference_row(name, i) for i in (2, 3))
    return Sandbox(data=account)


@pytest.fixture(scope="module")
def http(conformance_sandbox: Sandbox) -> httpx.Client:
    return httpx.Client(
        transport=conformance_sandbox.transport(),
        base_url=BASE_URL,
        auth=(DEMO_API_KEY, DEMO_API_SECRET),
    )


def spec(name: str) -> ResourceSpec:
    return top_level_resources()[name]


def test_every_get_resource_is_covered() -> None:
    assert len(RESOURCES) == 63 and "contact" in RESOURCES and "statcounters" in RESOURCES


@pytest.mark.parametrize("name", RESOURCES)
def test_fields_are_exactly_the_reference_fields(
    http: httpx.Client, conformance_sandbox: Sandbox, name: str
) -> None:
    conformance_sandbox.log.clear()
    response = http.get(
        f"/v3/REST/{name}", params={"Limit": 1000, **SHOW_ALL, **REQUIRED.get(name, {})}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["Count"] == body["Total"] == len(body["Data"]) > 0
    expected = {f.name for f in spec(name).fields}
    # Production leaves some properties out while they are unset (see OMITTED_WHEN_UNSET).
    optional = set(OMITTED_WHEN_UNSET.get(name, ()))
    expected -= set(NEVER_SENT.get(name, ()))
    expected |= {field for field, _ in ADDED_BY_PRODUCTION.get(name, ())}
    for row in body["Data"]:
        assert set(row) <= expected and expected - set(row) <= optional
    (logged,) = conformance_sandbox.log.requests(method="GET", path=f"/v3/REST/{name}")
    assert logged.status == 200 and logged.param("limit") == "1000"


@pytest.mark.parametrize(
    ("name", "filter_name", "filter_type"),
    [(name, f, t) for name in RESOURCES for f, t in spec(name).filter_types],
)
def test_every_listed_filter_is_accepted(
    http: httpx.Client, conformance_sandbox: Sandbox, name: str, filter_name: str, filter_type: str
) -> None:
    conformance_sandbox.log.clear()
    # Period and useragentstatistics' Event take one of a documented set of values (else 400).
    probe = {"Period": "Month", "Event": "click"}.get(filter_name, PROBES.get(filter_type, "x"))
    params = {filter_name: probe}
    if name == "statcounters":
        probe = STATCOUNTER_PROBES.get(filter_name, probe)
        params = {**REQUIRED[name], "CounterResolution": "Day", filter_name: probe}
    response = http.get(f"/v3/REST/{name}", params=params)
    assert response.status_code == 200, response.text
    assert conformance_sandbox.log[-1].param(filter_name) == probe


def _order_key(value: Any) -> tuple[int, Any]:
    if value in ("", None):
        return (0, 0)
    if isinstance(value, str):
        return (2, value.lower())
    return (1, value)


@pytest.mark.parametrize(
    ("name", "field", "desc_allowed"),
    [(name, s.field, s.desc_allowed) for name in RESOURCES for s in spec(name).sortable],
)
def test_every_sortable_field_sorts(
    http: httpx.Client, name: str, field: str, desc_allowed: bool
) -> None:
    ascending = http.get(
        f"/v3/REST/{name}",
        params={"Sort": field, "Limit": 1000, **SHOW_ALL, **REQUIRED.get(name, {})},
    )
    assert ascending.status_code == 200, ascending.text
    rows = ascending.json()["Data"]
    if field in spec(name).field_names:
        values = [_order_key(row[field]) for row in rows]
        assert values == sorted(values)
    descending = http.get(
        f"/v3/REST/{name}",
        params={"Sort": f"{field} DESC", "Limit": 1000, **SHOW_ALL, **REQUIRED.get(name, {})},
    )
    if desc_allowed:
        assert descending.status_code == 200
        if field in spec(name).field_names:
            values = [_order_key(row[field]) for row in descending.json()["Data"]]
            assert values == sorted(values, reverse=True)
    else:
        assert descending.status_code == 400
        assert descending.json()["ErrorMessage"] == (
            f"Unexpected error during GET: Invalid sort specification: Cannot sort on field {field.lower()} desc"
        )


@pytest.mark.parametrize("name", RESOURCES)
def test_a_field_that_is_not_sortable_is_refused(http: httpx.Client, name: str) -> None:
    sortable = {s.field.lower() for s in spec(name).sortable}
    unsortable = [f.name for f in spec(name).fields if f.name.lower() not in sortable]
    if not unsortable:
        pytest.fail(f"{name}: every field is sortable; pick another probe")
    response = http.get(
        f"/v3/REST/{name}", params={"Sort": unsortable[0], **REQUIRED.get(name, {})}
    )
    assert response.status_code == 400
    assert response.json()["ErrorMessage"] == (
        f"Unexpected error during GET: Invalid sort specification: Cannot sort on field {unsortable[0].lower()}"
    )
