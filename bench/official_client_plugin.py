"""A pytest plugin that sends the official Python client's requests to a sandbox server.

Loaded by :mod:`bench.official_client_suite` into the pytest run of the ``mailjet-rest``
integration suite (``-p bench.official_client_plugin``). Every ``mailjet_rest.Client`` built
during the run gets a transport adapter for ``https://api.mailjet.com/`` that sends the request
to the sandbox at ``$MJQUERY_SUITE_SANDBOX_URL`` instead. URLs are built as the client builds
them (the suite's URL checks see ``https://api.mailjet.com``); only where the bytes go changes.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import requests
from requests.adapters import HTTPAdapter

PRODUCTION = "https://api.mailjet.com/"


class ToSandbox(HTTPAdapter):
    """Rewrite ``https://api.mailjet.com/...`` to the sandbox's base URL, then send."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url.rstrip("/") + "/"

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        assert request.url is not None
        if request.url.startswith(PRODUCTION):
            request.url = self.base_url + request.url[len(PRODUCTION) :]
        kwargs.pop("verify", None)  # plain HTTP on 127.0.0.1
        return super().send(request, **kwargs)


def pytest_configure(config: pytest.Config) -> None:
    base_url = os.environ["MJQUERY_SUITE_SANDBOX_URL"]
    from mailjet_rest.client import Client

    original = Client.__init__

    def redirected(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        # The longest matching prefix wins in requests: this adapter takes api.mailjet.com only.
        self.session.mount(PRODUCTION, ToSandbox(base_url))

    Client.__init__ = redirected  # type: ignore[method-assign]
