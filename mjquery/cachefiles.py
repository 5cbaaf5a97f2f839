"""Files mjquery keeps in the user's cache folder to start faster, and how they are kept safe.

A cached file is only ever a copy of something mjquery can compute again (the compiled schema
catalog, the generated demo account), so every failure costs the cache, never the command:

* the name carries a fingerprint of what the content was computed from (the input files' and
  the code's names, sizes and modification times), so a change makes a new name, not a stale
  read;
* a file is written under a temporary name and renamed into place: a process reading it while
  another writes sees the old file or the whole new one, and two processes writing the same
  file at once each leave a complete copy;
* a file that cannot be read back whole (truncated, corrupt, from another layout) counts as
  missing, and is computed and written again;
* a cache folder that cannot be written (read-only home) leaves nothing behind;
* a new generation of a file replaces the older ones of its family (:func:`remove_stale`), so
  upgrades and edited schema files do not pile files up in the cache folder.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import os
import pickle
import tempfile
from collections.abc import Iterable
from pathlib import Path


def cache_folder() -> Path:
    """mjquery's folder in the user's cache: ``$XDG_CACHE_HOME/mjquery``, else ``~/.cache/mjquery``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mjquery"


def fingerprint(label: str, files: Iterable[Path]) -> str:
    """A short digest of ``label`` and each file's name, size and modification time."""
    digest = hashlib.sha256(label.encode())
    for path in files:
        stat = path.stat()
        digest.update(f"|{path.name}|{stat.st_size}|{stat.st_mtime_ns}".encode())
    return digest.hexdigest()[:32]


def read_pickle(path: Path) -> object | None:
    """The object pickled in ``path``, or None when it is missing or cannot be read whole."""
    collecting = gc.isenabled()
    # Unpickling creates many objects and no garbage: without the cyclic collector scanning
    # them again and again as they come, a large file loads about a third faster.
    gc.disable()
    try:
        with path.open("rb") as handle:
            value: object = pickle.load(handle)
            return value
    # A damaged pickle fails in many ways (UnpicklingError, EOFError, ValueError, a missing
    # class, MemoryError on a corrupt length ...): each one means "compute it again".
    except Exception:
        return None
    finally:
        if collecting:
            gc.enable()


def write_pickle(path: Path, value: object) -> bool:
    """Pickle ``value`` into ``path`` atomically; False (and nothing left behind) when it fails."""
    temporary: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}-", suffix=".tmp")
        with os.fdopen(fd, "wb") as handle:
            pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, path)  # readers see the old file or the whole new one
        return True
    except (OSError, pickle.PicklingError):
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        return False


def remove_stale(folder: Path, family: str, current: str) -> None:
    """Delete the ``family*.pickle`` files in ``folder`` whose names do not start with
    ``current`` (the generation just written): what older code or older inputs left behind.
    A file another process still reads stays readable until it closes it (POSIX unlink)."""
    for path in folder.glob(f"{family}*.pickle"):
        if not path.name.startswith(current):
            with contextlib.suppress(OSError):
                path.unlink()
