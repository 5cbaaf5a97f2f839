"""API paths of written objects, built from the schema's templates.

User values only enter a path through :func:`mjquery.api.paths.quote_segment`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from mjquery.api.paths import quote_segment
from mjquery.schema.model import ObjectSchema

PLACEHOLDER = re.compile(r"{(\w+)}")


def fill(template: str, values: Mapping[str, Any]) -> str:
    """``template`` with each ``{name}`` replaced by its percent-encoded value."""
    return PLACEHOLDER.sub(lambda m: quote_segment(values[m.group(1)]), template)


def item_path(schema: ObjectSchema, key: Any) -> str:
    """The path of one object, addressed by its ID or its unique key."""
    template = schema.item_path or f"{schema.path}/{{id}}"
    names = PLACEHOLDER.findall(template)
    return fill(template, {names[-1]: key} if names else {})


def resource_name(schema: ObjectSchema, rule_resource: str = "") -> str:
    """The top-level API resource whose cached reads a write makes stale."""
    return (rule_resource or schema.resource).split("/", 1)[0].lower()
