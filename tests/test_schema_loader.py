"""Loading schema files: every committed file loads; broken files fail with file and key named."""

from __future__ import annotations

from pathlib import Path

import pytest

import mjquery
from mjquery.errors import Error, ProgrammingError
from mjquery.schema import (
    FilterOp,
    Operation,
    SchemaError,
    SqlType,
    TimeFormat,
    load_catalog,
    load_schema_file,
)
from mjquery.schema import catalog as catalog_module

SCHEMAS = Path(mjquery.__file__).resolve().parent.parent / "schemas"
FILES = sorted(SCHEMAS.glob("*.toml"))

MINIMAL = """
name = "Thing"
resource = "thing"
path = "/v3/REST/thing"
key = "ID"
columns = [
  { name = "ID", type = "BIGINT" },
  { name = "Name", type = "VARCHAR", read_only = false },
]
"""


def write(directory: Path, name: str, text: str) -> Path:
    path = directory / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("path", FILES, ids=[f.stem for f in FILES])
def test_each_committed_file_loads_and_is_named_after_its_table(path: Path) -> None:
    obj = load_schema_file(path)
    assert obj.name == path.stem
    assert obj.source_file == f"schemas/{path.name}"
    # a table of contact properties reads ContactData's resource, which keeps the name
    assert (
        obj.resource in obj.aliases
        or obj.resource.lower() == obj.name.lower()
        or obj.property_columns
    )


def test_default_catalog_is_the_repository_schemas_and_is_cached(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("MJQUERY_SCHEMAS", raising=False)
    catalog = load_catalog()
    assert len(catalog) == len(FILES)
    assert load_catalog() is catalog
    assert [o.name for o in catalog.objects] == sorted(
        (o.name for o in catalog.objects), key=str.lower
    )
    assert "contact" in catalog and "CONTACTSLIST" in catalog and "nope" not in catalog


def test_environment_variable_points_at_another_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, "Thing.toml", MINIMAL)
    monkeypatch.setenv("MJQUERY_SCHEMAS", str(tmp_path))
    catalog = load_catalog()
    assert catalog.names == ("Thing",)
    assert catalog.get("THING").resource == "thing"


def test_unknown_table_suggests_the_closest_name() -> None:
    catalog = load_catalog(SCHEMAS)
    with pytest.raises(ProgrammingError) as caught:
        catalog.get("Contcat")
    assert str(caught.value) == "Unknown table 'Contcat'. Did you mean 'Contact'?"
    with pytest.raises(ProgrammingError, match=r"Did you mean 'ListRecipient'"):
        catalog.get("listrecipents")
    assert catalog.find("Contcat") is None


def test_core_tables_are_described_as_the_planner_needs() -> None:
    catalog = load_catalog(SCHEMAS)
    contact = catalog.get("contact")
    prefix = [f for f in contact.filters_on("Email") if f.op is FilterOp.PREFIX]
    assert [(f.param, f.exact) for f in prefix] == [("EmailLLike", False)]
    assert contact.pseudo_column("ContactsList") is not None
    assert contact.unique_keys == (("Email",),)
    assert contact.sort_key("ID").desc_allowed is False  # type: ignore[union-attr]

    recipients = catalog.get("ListRecipient")
    assert [f.param for f in recipients.filters_on("ListID")] == ["ContactsList"]
    assert [f.param for f in recipients.filters_on("ContactID")] == ["Contact"]

    message = catalog.get("Message")
    assert message.column("ID").type is SqlType.BIGINT  # type: ignore[union-attr]
    bounds = {(f.param, f.op) for f in message.filters_on("ArrivedAt")}
    assert bounds == {("FromTS", FilterOp.GT), ("ToTS", FilterOp.LT)}

    stats = catalog.get("StatCounters")
    assert {p.name for p in stats.required_pseudo_columns} == {
        "CounterSource",
        "CounterResolution",
        "CounterTiming",
    }
    assert stats.pseudo_column("CounterTiming").allowed_values == ("Message", "Event")  # type: ignore[union-attr]

    content = catalog.get("campaigndraft/detailcontent")
    assert content.parent is not None and content.parent.table == "CampaignDraft"
    assert content.path == "/v3/REST/campaigndraft/{CampaignDraftID}/detailcontent"

    subscriptions = catalog.get("ContactList")
    insert = subscriptions.write_rule(Operation.INSERT)
    assert insert is not None and insert.path == "/v3/REST/contact/{ContactID}/managecontactslists"
    assert subscriptions.column("Action").write_only  # type: ignore[union-attr]

    assert catalog.get("MessageHistory").column("EventAt").time_format is TimeFormat.EPOCH  # type: ignore[union-attr]


BROKEN = [
    ("not toml", 'name = "Thing"\nresource = ', "Thing.toml: not valid TOML"),
    ("unknown top key", MINIMAL + "colums = []\n", "Thing.toml: colums: unknown key"),
    ("missing name", MINIMAL.replace('name = "Thing"', ""), "Thing.toml: name: is required"),
    (
        "bad type",
        MINIMAL.replace('"BIGINT"', '"BIGNUM"'),
        "Thing.toml: columns[0].type: 'BIGNUM' is not one of",
    ),
    (
        "unknown column key",
        MINIMAL.replace('type = "BIGINT"', 'type = "BIGINT", readonly = true'),
        "Thing.toml: columns[0].readonly: unknown key",
    ),
    (
        "filter on missing column",
        MINIMAL + 'filters = [{ param = "Nom", column = "Nom", op = "eq" }]\n',
        "Thing.toml: filters[0].column: 'Nom' is neither a column nor a pseudo-column",
    ),
    (
        "bad op",
        MINIMAL + 'filters = [{ param = "Name", column = "Name", op = "equals" }]\n',
        "Thing.toml: filters[0].op: 'equals' is not one of eq, in",
    ),
    (
        "like on a number",
        MINIMAL + 'filters = [{ param = "IDLike", column = "ID", op = "contains" }]\n',
        "Thing.toml: filters[0].op: contains needs a VARCHAR column",
    ),
    (
        "exact not a boolean",
        MINIMAL + 'filters = [{ param = "Name", column = "Name", op = "eq", exact = "no" }]\n',
        "Thing.toml: filters[0].exact: must be true or false",
    ),
    (
        "sortable missing column",
        MINIMAL + 'sortable = [{ column = "CreatedAt", desc_allowed = true }]\n',
        "Thing.toml: sortable[0].column: 'CreatedAt' is not a column of Thing",
    ),
    (
        "key missing column",
        MINIMAL.replace('key = "ID"', 'key = "Id2"'),
        "Thing.toml: key: 'Id2' is not a column",
    ),
    (
        "created not a timestamp",
        MINIMAL + 'created_column = "Name"\n',
        "Thing.toml: created_column: 'Name' is VARCHAR, not TIMESTAMP",
    ),
    (
        "write column missing",
        MINIMAL + '[[writes]]\noperation = "UPDATE"\ncolumns = ["Nome"]\n',
        "Thing.toml: writes[0].columns: 'Nome' is not a column",
    ),
    (
        "required not settable",
        MINIMAL + '[[writes]]\noperation = "INSERT"\ncolumns = ["Name"]\nrequired = ["ID"]\n',
        "Thing.toml: writes[0].required: 'ID' is required but not in columns",
    ),
    (
        "bad operation",
        MINIMAL + '[[writes]]\noperation = "UPSERT"\ncolumns = ["Name"]\n',
        "Thing.toml: writes[0].operation: 'UPSERT' is not one of INSERT, UPDATE, DELETE",
    ),
    (
        "placeholder not in path",
        MINIMAL + '[parent]\nplaceholder = "ThingID"\ncolumn = "ID"\ntable = "Other"\n',
        "Thing.toml: parent.placeholder: {ThingID} does not appear in path",
    ),
    (
        "path placeholder without parent",
        MINIMAL.replace('/v3/REST/thing"', '/v3/REST/x/{XID}/thing"'),
        "Thing.toml: path: has a {placeholder} but the file has no [parent] table",
    ),
    (
        "duplicate column",
        MINIMAL.replace('name = "Name"', 'name = "id"'),
        "Thing.toml: columns: duplicate column 'id'",
    ),
    (
        "unknown size hint",
        MINIMAL + 'expected_rows = "tiny"\n',
        "Thing.toml: expected_rows: 'tiny' is not one of small, unknown",
    ),
    (
        "size hint on a sub-resource",
        MINIMAL.replace('/v3/REST/thing"', '/v3/REST/other/{OtherID}/thing"')
        + 'expected_rows = "small"\n[parent]\nplaceholder = "OtherID"\ncolumn = "ID"\ntable = "Other"\n',
        "Thing.toml: expected_rows: a sub-resource is read per parent",
    ),
    (
        "time format on text",
        MINIMAL.replace('type = "VARCHAR"', 'type = "VARCHAR", time_format = "epoch"'),
        "Thing.toml: columns[1].time_format: only TIMESTAMP columns have a time format",
    ),
]


@pytest.mark.parametrize(
    "text,expected", [(t, e) for _, t, e in BROKEN], ids=[i for i, _, _ in BROKEN]
)
def test_broken_file_error_names_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, "Thing.toml", text)
    with pytest.raises(SchemaError) as caught:
        load_schema_file(path)
    assert expected in str(caught.value)
    assert isinstance(caught.value, Error)


def test_filter_column_defaults_to_param_and_exact_to_true(tmp_path: Path) -> None:
    text = MINIMAL + (
        "filters = [\n"
        '  { param = "Name", op = "eq" },\n'
        '  { param = "NameLike", column = "Name", op = "contains", exact = false },\n'
        "]\n"
    )
    obj = load_schema_file(write(tmp_path, "Thing.toml", text))
    plain, like = obj.filters
    assert (plain.param, plain.column, plain.op, plain.exact) == ("Name", "Name", FilterOp.EQ, True)
    assert (like.param, like.column, like.op, like.exact) == (
        "NameLike",
        "Name",
        FilterOp.CONTAINS,
        False,
    )


def test_filter_without_column_names_its_param_when_no_such_column(tmp_path: Path) -> None:
    text = MINIMAL + 'filters = [{ param = "Nom", op = "eq" }]\n'
    with pytest.raises(SchemaError, match=r"filters\[0\]\.column: 'Nom' is neither a column"):
        load_schema_file(write(tmp_path, "Thing.toml", text))


def test_committed_files_rely_on_the_filter_defaults() -> None:
    """The files say ``column`` only when it differs from ``param``, ``exact`` only when false."""
    for path in FILES:
        for line in path.read_text(encoding="utf-8").splitlines():
            assert "exact = true" not in line, f"{path.name}: {line.strip()}"
            if line.lstrip().startswith("{ param = "):
                param = line.split('param = "', 1)[1].split('"', 1)[0]
                assert f'column = "{param}"' not in line, f"{path.name}: {line.strip()}"


def test_duplicate_alias_across_files_is_refused(tmp_path: Path) -> None:
    write(tmp_path, "Thing.toml", MINIMAL)
    write(
        tmp_path,
        "Other.toml",
        MINIMAL.replace('name = "Thing"', 'name = "Other"\naliases = ["THING"]').replace(
            'resource = "thing"', 'resource = "other"'
        ),
    )
    with pytest.raises(
        SchemaError, match=r"Thing.toml: name or alias 'Thing' is already used by .*Other.toml"
    ):
        load_catalog(tmp_path)


def test_parent_table_must_exist(tmp_path: Path) -> None:
    write(
        tmp_path,
        "Part.toml",
        """
name = "Part"
resource = "thing/part"
path = "/v3/REST/thing/{ThingID}/part"
columns = [{ name = "ThingID", type = "BIGINT" }]
[parent]
placeholder = "ThingID"
column = "ThingID"
table = "Thing"
""",
    )
    with pytest.raises(SchemaError, match=r"Part.toml: parent.table: no table named 'Thing'"):
        load_catalog(tmp_path)
    write(tmp_path, "Thing.toml", MINIMAL)
    other = tmp_path / "again"
    other.mkdir()
    for f in tmp_path.glob("*.toml"):
        write(other, f.name, f.read_text())
    assert load_catalog(other).get("thing/part").parent.table == "Thing"  # type: ignore[union-attr]


def test_missing_directory_is_a_schema_error(tmp_path: Path) -> None:
    with pytest.raises(SchemaError, match=r"schema directory not found"):
        load_catalog(tmp_path / "absent")


def test_small_tables_are_marked_and_growing_ones_are_not() -> None:
    from mjquery.schema import ExpectedRows

    catalog = load_catalog()
    small = {s.name for s in catalog if s.expected_rows is ExpectedRows.SMALL}
    assert {
        "List",
        "Campaign",
        "CampaignDraft",
        "Template",
        "Sender",
        "MetaSender",
        "Segmentation",
        "ContactMetadata",
        "EventCallbackUrl",
        "ParseRoute",
        "APIKey",
        "Widget",
        "Workflow",
    } <= small
    assert not small & {
        "Contact",
        "ListRecipient",
        "Message",
        "MessageHistory",
        "ContactData",
        "OpenInformation",
    }


def test_an_edited_schema_directory_replaces_its_compiled_file_in_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setattr(catalog_module, "_cache", {})
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    write(schemas, "Thing.toml", MINIMAL)
    other = tmp_path / "other"
    other.mkdir()
    write(other, "Thing.toml", MINIMAL)
    load_catalog(schemas)
    load_catalog(other)
    folder = tmp_path / "cache" / "mjquery"
    first = sorted(p.name for p in folder.glob("catalog-*.pickle"))
    assert len(first) == 2  # one compiled file per schema directory

    write(schemas, "Other.toml", MINIMAL.replace("Thing", "Other").replace("thing", "other"))
    monkeypatch.setattr(catalog_module, "_cache", {})
    assert load_catalog(schemas).names == ("Other", "Thing")
    now = sorted(p.name for p in folder.glob("catalog-*.pickle"))
    # the edited directory's older file is gone; the other directory's file stays
    assert len(now) == 2 and len(set(now) & set(first)) == 1
