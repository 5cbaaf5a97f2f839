"""dlt under mjquery's control: no telemetry, no foreign configuration, files in our state dir.

dlt normally reads settings from environment variables (``DESTINATION__...``, ``RUNTIME__...``),
``./.dlt/`` and ``~/.dlt/``, sends anonymous telemetry, and keeps its pipelines' working
directories under ``~/.dlt``. For ``mjquery replicate`` none of that may apply: a user's
unrelated dlt project must not change what replication does, mjquery never phones home, and
the target's credentials are handed to dlt in memory, never written to a config file.

:func:`isolated_dlt` plugs a run context whose only configuration provider is a dictionary
that mjquery fills (telemetry off, quiet logging, the naming convention), and whose directories
all live under ``$XDG_STATE_HOME/mjquery/state/dlt``. It is installed once per process, before the
first pipeline is created, and stays (dlt keeps its run context in a process-wide container).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import Any

from mjquery.config import state_dir

_lock = threading.Lock()
_installed: Path | None = None

#: What mjquery tells dlt, whatever the user's environment or dlt files say.
_SETTINGS: dict[str, Any] = {
    "runtime": {
        "dlthub_telemetry": False,  # mjquery never phones home
        "log_level": "ERROR",  # dlt's warnings would interleave with our progress display
    },
    # files dlt writes between extract and load: fast to write, no compression on a local disk
    "data_writer": {"disable_compression": True},
    "normalize": {"data_writer": {"disable_compression": True}},
}


def dlt_home() -> Path:
    """Where dlt's working directories live: ``$XDG_STATE_HOME/mjquery/state/dlt``."""
    return state_dir() / "dlt"


def isolated_dlt() -> Any:
    """Import dlt with mjquery's run context installed; returns the ``dlt`` module."""
    global _installed
    with _lock:
        home = dlt_home()
        if _installed != home:
            _install(home)
            _installed = home
    import dlt

    return dlt


def _install(home: Path) -> None:
    home.mkdir(parents=True, exist_ok=True)
    from dlt.common.configuration.container import Container
    from dlt.common.configuration.providers import DictionaryProvider
    from dlt.common.configuration.specs.pluggable_run_context import PluggableRunContext
    from dlt.common.runtime.run_context import RunContext

    root = str(home)

    class MjqueryRunContext(RunContext):
        """Every directory dlt uses is under ``home``; the only settings are ``_SETTINGS``."""

        @property
        def global_dir(self) -> str:
            return root

        @property
        def run_dir(self) -> str:
            return root

        @property
        def local_dir(self) -> str:
            return root

        @property
        def settings_dir(self) -> str:
            return os.path.join(root, ".dlt")

        @property
        def data_dir(self) -> str:
            return root

        def initial_providers(self) -> list[Any]:
            provider = DictionaryProvider()
            provider._config_doc = _copy(_SETTINGS)
            return [provider]

    Container()[PluggableRunContext] = PluggableRunContext(MjqueryRunContext(root))


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value
