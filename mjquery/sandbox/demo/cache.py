"""The generated demo account, kept on disk so the next process loads it instead of building it.

Building the account draws every contact, message and statistic from the seed: about 0.3 s at
scale 1 (two minutes at scale 50), paid by every ``mjquery --demo`` before its first answer.
Loading the same account pickled takes a tenth of that. The file is
``$XDG_CACHE_HOME/mjquery/demo-<where>-<code>-<seed>-<scale>.pickle``:

* ``<code>`` is a fingerprint of the modules that generate the account and of the reference
  they follow (names, sizes, modification times), so another version of mjquery, or an edited
  generator, builds and writes its own file; writing it removes the files an older version of
  the same installation (``<where>``: the folder of this package) left;
* the file holds the seed and scale it was built for, and is used only when they match;
* everything else is :mod:`mjquery.cachefiles`: written atomically (processes starting at once
  each read a whole file or build their own), a damaged file is built and written again, a cache
  folder that cannot be written only costs the time to build.

Each load returns fresh objects, so a sandbox that changes its account (writes) changes only its
own copy, as with a freshly built one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

from mjquery.cachefiles import cache_folder, fingerprint, read_pickle, remove_stale, write_pickle
from mjquery.sandbox.demo.account import DemoData, build_demo_account

#: Bump when the cached layout changes in a way the code fingerprint would not see.
_FORMAT = 1


@dataclass(frozen=True)
class _Cached:
    seed: int
    scale: float
    data: DemoData


def _sources() -> list[Path]:
    """The files the generated account depends on: the generator and the vendored reference."""
    demo = Path(__file__).resolve().parent
    sandbox = demo.parent
    return [
        *sorted(demo.glob("*.py")),
        sandbox / "account.py",
        *sorted((sandbox / "reference").glob("*.json")),
    ]


def _installation() -> str:
    return hashlib.sha256(str(Path(__file__).resolve().parent).encode()).hexdigest()[:8]


def demo_account_path(seed: int, scale: float) -> Path:
    """Where the account for ``seed`` and ``scale`` of this version of mjquery is kept."""
    code = fingerprint(f"demo|{_FORMAT}", _sources())
    return cache_folder() / f"demo-{_installation()}-{code}-{seed}-{scale!r}.pickle"


def load_demo_account(seed: int = 42, scale: float = 1.0) -> DemoData:
    """The demo account for ``seed`` at ``scale``: from the cache, else built (and cached)."""
    try:
        path = demo_account_path(seed, scale)
    except OSError:  # a source file unreadable: build, as without a cache
        return build_demo_account(seed=seed, scale=scale)
    cached = read_pickle(path)
    if isinstance(cached, _Cached) and cached.seed == seed and cached.scale == scale:
        return cached.data
    data = build_demo_account(seed=seed, scale=scale)
    if write_pickle(path, _Cached(seed, scale, data)):
        _remove_older_versions(path)
    return data


def _remove_older_versions(current: Path) -> None:
    """Delete this installation's demo files written by other code (older versions)."""
    parts = current.name.split("-")
    # demo-<where>-: this installation; demo-<where>-<code>-: this version of its code
    remove_stale(current.parent, "-".join(parts[:2]) + "-", "-".join(parts[:3]) + "-")
