"""Every schema file agrees with the vendored Mailjet reference.

The planner pushes predicates using only what the schema files declare, and the real API
silently ignores unknown parameters, so a filter, sort field or write the reference does not
list would give users wrong rows or failed writes. These tests are parametrised over the
reference resources and the schema files; nothing is copied per object.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import mjquery
from mjquery.schema import Catalog, ObjectSchema, Operation, SqlType, TimeFormat, load_catalog

REFERENCE = Path(mjquery.__file__).parent / "sandbox" / "reference"
SCHEMAS = Path(mjquery.__file__).resolve().parent.parent / "schemas"
RESOURCES = {e["resource"]: e for e in json.loads((REFERENCE / "resources.json").read_text())}
OPENAPI = json.loads((REFERENCE / "openapi-query-params.json").read_text())["paths"]
PAGING = {"Limit", "Offset", "Sort", "countOnly"}
HTTP = {Operation.INSERT: "POST", Operation.UPDATE: "PUT", Operation.DELETE: "DELETE"}

# GET-able entries of resources.json that are deliberately not tables.
NOT_TABLES = {
    "contact/managemanycontacts": "polls a bulk job by job id; not a table",
    "contactslist/managemanycontacts": "polls a bulk job by job id; not a table",
    "contactslist/importlist": "polls an import job by job id; not a table",
    "DATA batchjob/CSVError": "returns a CSV file, not JSON rows",
    "DATA batchjob/JSONError": "returns an error document for one job, not rows",
    "newsletter/status": "the reference documents no response fields",
}

# The write operations Skyvia's Mailjet connector documents (api-behaviour.md section 13).
SKYVIA_WRITES = {
    "CampaignDraftDetailContent": {"INSERT"},
    "CampaignDraftSchedule": {"INSERT"},
    "ContactList": {"INSERT"},
    "Campaign": {"UPDATE"},
    "MyProfile": {"UPDATE"},
    "User": {"UPDATE"},
    "APIKey": {"INSERT", "UPDATE"},
    "CampaignDraft": {"INSERT", "UPDATE"},
    "Contact": {"INSERT", "UPDATE"},
    "MetaSender": {"INSERT", "UPDATE"},
    "TemplateDetailContent": {"INSERT", "UPDATE"},
    "ContactData": {"UPDATE", "DELETE"},
    **{
        name: {"INSERT", "UPDATE", "DELETE"}
        for name in (
            "ContactMetadata",
            "EventCallbackUrl",
            "List",
            "ListRecipient",
            "ParseRoute",
            "Segmentation",
            "Sender",
            "Template",
        )
    },
}

# Skyvia's object names and the resource each reads (api-behaviour.md section 13 + the issue).
SKYVIA_NAMES = {
    "Contact": "contact",
    "List": "contactslist",
    "ListRecipient": "listrecipient",
    "ContactList": "contact/getcontactslists",
    "ContactData": "contactdata",
    "ContactMetadata": "contactmetadata",
    "ContactHistoryData": "contacthistorydata",
    "Segmentation": "contactfilter",
    "Campaign": "campaign",
    "CampaignDraft": "campaigndraft",
    "CampaignDraftDetailContent": "campaigndraft/detailcontent",
    "CampaignDraftSchedule": "campaigndraft/schedule",
    "Template": "template",
    "TemplateDetailContent": "template/detailcontent",
    "Sender": "sender",
    "MetaSender": "metasender",
    "APIKey": "apikey",
    "APIKeyAccess": "apikeyaccess",
    "MyProfile": "myprofile",
    "User": "user",
    "EventCallbackUrl": "eventcallbackurl",
    "ParseRoute": "parseroute",
    "MessageInformation": "messageinformation",
    "Message": "message",
    "MessageHistory": "messagehistory",
    "StatCounters": "statcounters",
    "OpenInformation": "openinformation",
    "ClickStatistics": "clickstatistics",
}

GET_RESOURCES = sorted(
    r for r, e in RESOURCES.items() if "GET" in e["methods"] and r not in NOT_TABLES
)


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog(SCHEMAS)


def _by_resource(catalog: Catalog) -> dict[str, ObjectSchema]:
    return {obj.resource: obj for obj in catalog if not obj.property_columns}


def _reference_filters(entry: dict) -> dict[str, dict]:
    """resources.json filters united with the OpenAPI query parameters of the same path."""
    found = {f["name"]: f for f in entry.get("filters") or []}
    for param in OPENAPI.get(entry["path"], []):
        if param["name"] not in PAGING:
            found.setdefault(param["name"], {"name": param["name"], "type": param["type"]})
    return found


def test_every_get_resource_has_exactly_one_schema_file(catalog: Catalog) -> None:
    by_resource: dict[str, list[str]] = {}
    # A table of contact properties reads the resource of ContactData (checked below).
    for obj in (o for o in catalog if not o.property_columns):
        by_resource.setdefault(obj.resource, []).append(obj.name)
    assert sorted(by_resource) == GET_RESOURCES
    assert all(len(names) == 1 for names in by_resource.values()), by_resource


#: Where recorded traffic reads a resource by another path than the reference's list path.
_RECORDED_PATHS = {
    # mailjet-gem cassettes Mailjet_Messagehistory/_find/*: GET /messagehistory/{message ID}
    "messagehistory": "/v3/REST/messagehistory/{MessageID}",
}


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_path_and_key_match_the_reference(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    expected_path = _RECORDED_PATHS.get(resource, entry["path"])
    if obj.parent is not None:
        expected_path = expected_path.replace("{id}", "{" + obj.parent.placeholder + "}")
    assert obj.path == expected_path
    assert obj.key == entry["key"]["id_field"]
    assert obj.paged == bool(entry.get("common_query_params"))


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_columns_are_the_reference_fields(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    added = {c.name for c in obj.columns if c.write_only}
    if obj.parent is not None and obj.parent.column not in {f["name"] for f in entry["fields"]}:
        added.add(obj.parent.column)
    assert [c.name for c in obj.columns if c.name not in added] == [
        c.name for c in obj.columns if c.name in {f["name"] for f in entry["fields"]}
    ]
    assert {c.name for c in obj.columns} - added == {f["name"] for f in entry["fields"]}


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_column_types_follow_the_reference_types(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    for field in entry["fields"]:
        column = obj.column(field["name"])
        assert column is not None
        expected = {
            "int": {SqlType.BIGINT, SqlType.TIMESTAMP},
            "float": {SqlType.DOUBLE},
            "bool": {SqlType.BOOLEAN},
            "datetime": {SqlType.TIMESTAMP},
            "str": {SqlType.VARCHAR},
            "array": {SqlType.JSON},
            "object": {SqlType.JSON},
            "str|object": {SqlType.JSON},
        }[field["type"]]
        assert column.type in expected, (field["name"], field["type"], column.type)
        if field["type"] == "int" and column.type is SqlType.TIMESTAMP:
            # Integer timestamps are Unix epoch seconds; only where api-behaviour documents it.
            assert column.time_format is TimeFormat.EPOCH
        if field["type"] == "int":
            assert column.type is not SqlType.INTEGER  # ids exceed 2^31 (message ids exceed 2^53)


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_every_reference_filter_is_declared_or_deliberately_unpushed(
    catalog: Catalog, resource: str
) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    reference = {name.lower() for name in _reference_filters(entry)}
    declared = {f.param.lower() for f in obj.filters}
    unpushed = {u.name.lower() for u in obj.unpushed_filters}
    fixed = {p.name.lower() for p in obj.fixed_params}
    assert reference - declared - unpushed - fixed == set()
    # The API ignores unknown parameters: never declare one the reference does not list.
    assert (declared | unpushed | fixed) - reference == set()
    assert all(u.reason.strip() for u in obj.unpushed_filters)


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_required_filters_are_required_pseudo_columns(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    required = {f["name"] for f in entry.get("filters") or [] if f.get("required")}
    assert {p.name for p in obj.required_pseudo_columns} == required
    for pseudo in obj.required_pseudo_columns:
        assert obj.filters_on(pseudo.name), f"required {pseudo.name} has no filter"


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_filters_on_strings_and_time_bounds_are_not_claimed_exact(
    catalog: Catalog, resource: str
) -> None:
    """API string matching is case-insensitive or of unknown collation, bound inclusiveness unknown."""
    obj = _by_resource(catalog)[resource]
    for f in obj.filters:
        column = obj.column(f.column)
        if column is None:
            continue  # pseudo-column: the engine stamps the value, the API is the authority
        if column.type in (SqlType.VARCHAR, SqlType.TIMESTAMP) or f.op.value not in ("eq",):
            assert not f.exact, f"{obj.name}: {f.param} on {column.name} must be re-checked"


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_sortable_columns_match_the_reference(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    reference = {
        s["field"]: s["desc_allowed"] for s in (entry.get("sort") or {}).get("sortable", [])
    }
    declared = {s.column: s.desc_allowed for s in obj.sortable}
    unpushed = {u.name for u in obj.unpushed_sorts}
    assert set(declared) | unpushed == set(reference)
    assert not set(declared) & unpushed
    assert declared == {name: desc for name, desc in reference.items() if name in declared}


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_writes_use_methods_the_reference_allows(catalog: Catalog, resource: str) -> None:
    obj = _by_resource(catalog)[resource]
    for rule in obj.writes:
        target = RESOURCES[rule.resource or obj.resource]
        assert HTTP[rule.operation] in target["methods"], (
            obj.name,
            rule.operation,
            target["resource"],
        )
        if rule.path:
            assert (
                rule.path.replace(
                    "{" + (obj.parent.placeholder if obj.parent else "") + "}", "{id}"
                )
                == target["path"]
            )
        for column in rule.columns:
            assert not obj.column(column).read_only  # type: ignore[union-attr]


def test_writes_are_exactly_the_skyvia_connector_list(catalog: Catalog) -> None:
    declared = {
        obj.name: {op.value for op in obj.operations}
        for obj in catalog
        if obj.writes and not obj.property_columns
    }
    assert declared == SKYVIA_WRITES


def test_contact_properties_reads_contactdata_with_its_documented_filters(
    catalog: Catalog,
) -> None:
    """ContactProperties is mjquery's own table over contactdata: the same path and item
    path, only filters and writes the reference lists for contactdata."""
    table, entry = catalog.get("ContactProperties"), RESOURCES["contactdata"]
    assert table.property_columns and table.resource == "contactdata"
    assert (table.path, table.item_path) == (entry["path"], entry["path"] + "/{id}")
    assert catalog.find("contactdata") is catalog.get("ContactData")  # the resource's name
    reference = {name.lower() for name in _reference_filters(entry)}
    declared = {f.param.lower() for f in table.filters} | {
        u.name.lower() for u in table.unpushed_filters
    }
    assert declared <= reference
    assert {HTTP[rule.operation] for rule in table.writes} <= set(entry["methods"])
    assert [c.name for c in table.columns] == ["ContactID"]  # the rest per account


def test_campaign_updates_only_is_deleted_and_is_starred(catalog: Catalog) -> None:
    rule = catalog.get("Campaign").write_rule(Operation.UPDATE)
    assert rule is not None and set(rule.columns) == {"IsDeleted", "IsStarred"}
    draft = catalog.get("CampaignDraft").write_rule(Operation.UPDATE)
    assert draft is not None and draft.condition == "Used = false"


def test_read_only_objects_have_only_read_only_columns(catalog: Catalog) -> None:
    for obj in catalog:
        if obj.read_only:
            assert [c.name for c in obj.columns if not c.read_only] == [], obj.name


@pytest.mark.parametrize("name,resource", sorted(SKYVIA_NAMES.items()))
def test_skyvia_names_resolve_case_insensitively(
    catalog: Catalog, name: str, resource: str
) -> None:
    for spelling in (name, name.lower(), name.upper()):
        assert catalog.get(spelling).resource == resource


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_resource_name_is_an_alias(catalog: Catalog, resource: str) -> None:
    assert catalog.get(resource).resource == resource
    assert catalog.get(resource.upper()).resource == resource


@pytest.mark.parametrize("resource", GET_RESOURCES)
def test_created_and_updated_columns_match_the_reference(catalog: Catalog, resource: str) -> None:
    obj, entry = _by_resource(catalog)[resource], RESOURCES[resource]
    assert obj.created_column == entry.get("created_field")
    assert obj.updated_column == entry.get("updated_field")
