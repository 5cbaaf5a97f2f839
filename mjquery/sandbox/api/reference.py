"""The vendored Mailjet reference, loaded into typed specs the sandbox serves from.

``reference/resources.json`` gives, per resource: path, methods, key, fields, filters and
sortable fields; ``reference/openapi-query-params.json`` adds the GET query parameters of
Mailjet's OpenAPI description (the string-match filter families). Filters are their union.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources as importlib_resources

import orjson

#: Query parameters every list endpoint takes; they are not filters.
COMMON_PARAMS = frozenset({"limit", "offset", "sort", "countonly"})

#: Entity data types of reference properties, and the resource they point to. A property of one
#: of these types is serialised as ``<Name>ID`` and may be written as ``<Name>Alt`` (alternate key).
ENTITY_RESOURCES = {
    "TContact": "contact",
    "TContactsList": "contactslist",
    "TCampaign": "campaign",
    "TSender": "sender",
    "TUser": "user",
    "TAPIKey": "apikey",
    "TContactFilter": "contactfilter",
    "TTemplate": "template",
    "TMessageState": "messagestate",
    "TWorkflow": "workflow",
}


@dataclass(frozen=True)
class FieldSpec:
    """One property of a resource as the reference lists it."""

    name: str
    type: str  # int | str | bool | float | datetime | array | object | ...
    api_datatype: str | None
    readonly: bool
    required: bool

    @property
    def entity(self) -> str | None:
        """The resource a reference property points to (``ContactID`` -> ``contact``), if any."""
        return ENTITY_RESOURCES.get(self.api_datatype or "")


@dataclass(frozen=True)
class SortSpec:
    field: str
    desc_allowed: bool


@dataclass(frozen=True)
class ResourceSpec:
    """One REST resource, sub-resource or action of the reference."""

    name: str
    path: str
    methods: frozenset[str]
    fields: tuple[FieldSpec, ...]
    filters: tuple[str, ...]
    filter_types: tuple[tuple[str, str], ...]  # (filter name, int | str | bool | float | datetime)
    sortable: tuple[SortSpec, ...]
    id_field: str | None
    unique_key: tuple[str, ...]
    created_field: str | None
    updated_field: str | None

    @functools.cached_property
    def field_names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    @functools.cached_property
    def fields_by_lower(self) -> dict[str, FieldSpec]:
        return {f.name.lower(): f for f in self.fields}

    @functools.cached_property
    def filters_by_lower(self) -> dict[str, str]:
        return {name.lower(): name for name in self.filters}

    @functools.cached_property
    def sort_by_lower(self) -> dict[str, SortSpec]:
        return {s.field.lower(): s for s in self.sortable}


_OPENAPI_TYPES = {"integer": "int", "boolean": "bool", "number": "float", "string": "str"}


def _load_json(name: str) -> object:
    data = importlib_resources.files("mjquery.sandbox").joinpath("reference", name).read_bytes()
    return orjson.loads(data)  # a third of json's time: every sandbox start reads 0.6 MB


@functools.cache
def load_reference() -> dict[str, ResourceSpec]:
    """All resources of the reference, keyed by lower-case name (``contact``, ``campaigndraft/schedule``)."""
    entries = _load_json("resources.json")
    openapi = _load_json("openapi-query-params.json")
    assert isinstance(entries, list) and isinstance(openapi, dict)
    openapi_paths: dict[str, list[dict[str, str]]] = openapi["paths"]
    specs: dict[str, ResourceSpec] = {}
    for entry in entries:
        filters: dict[str, str] = {}
        types: dict[str, str] = {}
        for flt in entry.get("filters") or ():
            filters.setdefault(flt["name"].lower(), flt["name"])
            types.setdefault(flt["name"].lower(), flt.get("type") or "str")
        for param in openapi_paths.get(entry["path"], ()):
            if param["name"].lower() not in COMMON_PARAMS:
                filters.setdefault(param["name"].lower(), param["name"])
                types.setdefault(
                    param["name"].lower(), _OPENAPI_TYPES.get(param.get("type", ""), "str")
                )
        key = entry.get("key") or {}
        unique = key.get("unique_key_metadata")
        sort = entry.get("sort") or {}
        spec = ResourceSpec(
            name=entry["resource"],
            path=entry["path"],
            methods=frozenset(entry["methods"]),
            fields=tuple(
                FieldSpec(
                    name=f["name"],
                    type=f.get("type") or "str",
                    api_datatype=f.get("api_datatype"),
                    readonly=bool(f.get("readonly")),
                    required=bool(f.get("required")),
                )
                for f in entry.get("fields") or ()
            ),
            filters=tuple(filters.values()),
            filter_types=tuple((name, types[low]) for low, name in filters.items()),
            sortable=tuple(
                SortSpec(s["field"], bool(s["desc_allowed"])) for s in sort.get("sortable") or ()
            ),
            id_field=key.get("id_field"),
            unique_key=tuple(unique.split("|")) if unique else (),
            created_field=entry.get("created_field"),
            updated_field=entry.get("updated_field"),
        )
        specs[spec.name.lower()] = spec
    return specs


def top_level_resources() -> dict[str, ResourceSpec]:
    """The plain ``/v3/REST/<resource>`` resources (no sub-resources, actions, DATA or v4 paths)."""
    return {
        name: spec
        for name, spec in load_reference().items()
        if spec.path == f"/v3/REST/{spec.name}" and "/" not in spec.name
    }
