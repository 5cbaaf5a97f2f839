"""Airbyte's Mailjet source (PyPI ``airbyte-source-mailjet-mail``) reading from the sandbox.

Run by ``bench_replicate.py`` with the Python of ``bench/.airbyte-venv`` (Airbyte's CDK pins
versions that clash with mjquery's): ``python airbyte_read.py http://127.0.0.1:PORT``. Its own
manifest is read from the installed package with only ``url_base`` pointed at the sandbox; the
streams of the replication benchmark are read in full and the records counted. Prints one JSON
line: ``{"seconds": ..., "records": ..., "by_stream": {...}}``.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import source_mailjet_mail
import yaml
from airbyte_cdk.models import (
    AirbyteStream,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    SyncMode,
    Type,
)
from airbyte_cdk.sources.declarative.manifest_declarative_source import ManifestDeclarativeSource

STREAMS = ["contactslist", "contacts", "campaign", "message", "listrecipient"]


def main() -> int:
    base = sys.argv[1].rstrip("/")
    manifest = Path(source_mailjet_mail.__file__).with_name("manifest.yaml").read_text()
    manifest = manifest.replace("https://api.mailjet.com/v3/REST", f"{base}/v3/REST")
    source = ManifestDeclarativeSource(source_config=yaml.safe_load(manifest))
    config = {"api_key": "demo-api-key", "api_key_secret": "demo-api-secret"}
    catalog = ConfiguredAirbyteCatalog(
        streams=[
            ConfiguredAirbyteStream(
                stream=AirbyteStream(
                    name=name, json_schema={}, supported_sync_modes=[SyncMode.full_refresh]
                ),
                sync_mode=SyncMode.full_refresh,
                destination_sync_mode=DestinationSyncMode.overwrite,
            )
            for name in STREAMS
        ]
    )
    by_stream: dict[str, int] = {}
    started = time.perf_counter()
    for message in source.read(
        __import__("logging").getLogger("airbyte"), config, catalog, state=None
    ):
        if message.type == Type.RECORD:
            by_stream[message.record.stream] = by_stream.get(message.record.stream, 0) + 1
    seconds = time.perf_counter() - started
    print(
        json.dumps({"seconds": seconds, "records": sum(by_stream.values()), "by_stream": by_stream})
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
