"""The set of all schema files: look tables up by SQL name or alias, case-insensitively.

``load_catalog()`` reads ``schemas/*.toml`` once per directory (the files the package carries
by default, or ``$MJQUERY_SCHEMAS``) and checks what a single file cannot: that no two files
claim the same name or alias, and that every sub-resource's parent table and key exist.
"""

from __future__ import annotations

import importlib.resources
import os
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Protocol

from mjquery import cachefiles
from mjquery.errors import ProgrammingError, closest
from mjquery.schema import loader as loader_module
from mjquery.schema import model as model_module
from mjquery.schema.loader import SchemaError, load_schema_file
from mjquery.schema.model import ObjectSchema

__all__ = ["Catalog", "CatalogLike", "default_schema_directory", "load_catalog"]

SCHEMAS_ENV = "MJQUERY_SCHEMAS"


class CatalogLike(Protocol):
    """What the planner, the engine and the write path need of a catalog; :class:`Catalog` is one."""

    @property
    def objects(self) -> tuple[ObjectSchema, ...]: ...

    def find(self, name: str) -> ObjectSchema | None: ...

    def get(self, name: str) -> ObjectSchema: ...


class Catalog:
    """Every table mjquery knows, by name and alias (case-insensitive)."""

    def __init__(self, objects: tuple[ObjectSchema, ...], directory: Path | None = None) -> None:
        self.directory = directory
        self._objects = tuple(sorted(objects, key=lambda o: o.name.lower()))
        self._by_name: dict[str, ObjectSchema] = {}
        for obj in self._objects:
            for name in obj.names:
                other = self._by_name.get(name.lower())
                if other is not None and other is not obj:
                    raise SchemaError(
                        f"{obj.source_file}: name or alias {name!r} is already used by "
                        f"{other.source_file} ({other.name})"
                    )
                self._by_name[name.lower()] = obj
        for obj in self._objects:
            if obj.parent is None:
                continue
            parent = self._by_name.get(obj.parent.table.lower())
            if parent is None:
                raise SchemaError(
                    f"{obj.source_file}: parent.table: no table named {obj.parent.table!r}"
                )
            if parent.column(obj.parent.key) is None:
                raise SchemaError(
                    f"{obj.source_file}: parent.key: {obj.parent.key!r} is not a column of {parent.name}"
                )

    @property
    def objects(self) -> tuple[ObjectSchema, ...]:
        """All tables, sorted by SQL name."""
        return self._objects

    @property
    def names(self) -> tuple[str, ...]:
        """The SQL names (not aliases), sorted."""
        return tuple(o.name for o in self._objects)

    def find(self, name: str) -> ObjectSchema | None:
        """The table with this SQL name or alias, or None."""
        return self._by_name.get(name.lower())

    def get(self, name: str) -> ObjectSchema:
        """The table with this SQL name or alias; an unknown name is a ProgrammingError."""
        found = self.find(name)
        if found is not None:
            return found
        message = f"Unknown table {name!r}."
        suggestion = closest(name, self.names) or closest(name, list(self._by_name))
        if suggestion is not None:
            suggestion = self._by_name[suggestion.lower()].name
            message += f" Did you mean {suggestion!r}?"
        else:
            message += " Run SHOW TABLES to list them."
        raise ProgrammingError(message)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._by_name

    def __iter__(self) -> Iterator[ObjectSchema]:
        return iter(self._objects)

    def __len__(self) -> int:
        return len(self._objects)

    def __repr__(self) -> str:
        return f"Catalog({len(self._objects)} tables from {self.directory})"


def default_schema_directory() -> Path:
    """``$MJQUERY_SCHEMAS`` if set, else the schema files the package carries.

    In a checkout ``mjquery/schemas`` is a link to the repository's ``schemas/`` (the one copy);
    an installed wheel carries the files themselves as package data.
    """
    override = os.environ.get(SCHEMAS_ENV)
    if override:
        return Path(override)
    packaged = importlib.resources.files("mjquery") / "schemas"
    if not isinstance(packaged, Path):
        raise SchemaError(
            f"the schema files inside {packaged} cannot be read as a directory: install mjquery "
            f"as files (not zipped), or set {SCHEMAS_ENV} to a directory of schema files"
        )
    return packaged


_cache: dict[Path, Catalog] = {}
_cache_lock = threading.Lock()

#: Bump when the classes of :mod:`mjquery.schema.model` change shape: compiled catalogs written
#: by another layout are then rebuilt from the files.
_COMPILED_FORMAT = 2


def load_catalog(directory: Path | None = None) -> Catalog:
    """Load and validate every ``*.toml`` in ``directory`` (cached per directory).

    Parsing the 73 files takes a noticeable share of a one-line command's start, so the loaded
    schemas are also kept compiled on disk (:func:`compiled_catalog_path`), keyed by every file's
    name, size and modification time and by mjquery's version: a changed, added or removed file
    makes the next start read the files again. A cache that cannot be read or written is
    ignored.
    """
    directory = Path(directory) if directory is not None else default_schema_directory()
    key = directory.resolve()
    with _cache_lock:
        cached = _cache.get(key)
        if cached is not None:
            return cached
        if not key.is_dir():
            raise SchemaError(
                f"{directory}: schema directory not found (set {SCHEMAS_ENV} to point at it)"
            )
        files = sorted(key.glob("*.toml"))
        if not files:
            raise SchemaError(f"{directory}: no schema files (*.toml) found")
        fingerprint = _fingerprint(key, files)
        objects = _read_compiled(fingerprint)
        if objects is None:
            objects = tuple(load_schema_file(f) for f in files)
            catalog = Catalog(objects, directory=key)  # validated before it is kept
            _write_compiled(fingerprint, objects)
        else:
            catalog = Catalog(objects, directory=key)
        _cache[key] = catalog
        return catalog


def compiled_catalog_path(fingerprint: str) -> Path:
    """Where the compiled catalog of one set of schema files is kept: the user's cache folder
    (``$XDG_CACHE_HOME``, else ``~/.cache``), ``mjquery/catalog-<directory>-<content>.pickle``
    (``fingerprint`` is ``<directory>-<content>``, from :func:`_fingerprint`)."""
    return cachefiles.cache_folder() / f"catalog-{fingerprint}.pickle"


def _fingerprint(directory: Path, files: list[Path]) -> str:
    """Which schema directory (so that writing its new compiled file can remove the older ones
    of the same directory), then the files as they are now and the code that reads them (a
    changed loader or model invalidates what an older one compiled)."""
    code = [Path(loader_module.__file__ or ""), Path(model_module.__file__ or "")]
    content = cachefiles.fingerprint(f"{_COMPILED_FORMAT}|{directory}", [*code, *files])
    return f"{cachefiles.fingerprint(str(directory), [])[:8]}-{content}"


def _read_compiled(fingerprint: str) -> tuple[ObjectSchema, ...] | None:
    objects = cachefiles.read_pickle(compiled_catalog_path(fingerprint))
    if not isinstance(objects, tuple) or not all(isinstance(o, ObjectSchema) for o in objects):
        return None
    return objects


def _write_compiled(fingerprint: str, objects: tuple[ObjectSchema, ...]) -> None:
    # no cache folder (read-only home, ...): the files are read on every start
    path = compiled_catalog_path(fingerprint)
    if cachefiles.write_pickle(path, objects):
        where = fingerprint.split("-", 1)[0]
        cachefiles.remove_stale(path.parent, f"catalog-{where}-", f"catalog-{fingerprint}")
