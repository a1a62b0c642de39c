"""Every transport the suites run against, in one place: a new transport is one row here.

The conformance suite (``tests/conformance``), the forwarding and shape tests
(``tests/clients``) and the transport contract suite (``tests/transport``)
all take their parameters from :data:`TRANSPORTS`.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class TransportCase:
    """One transport package: its client class and its transport class."""

    name: str
    client: str
    """``module:Class`` of the public client."""
    transport: str
    """``module:Class`` of the transport it sends with."""
    is_async: bool

    def client_class(self) -> Any:
        return _load(self.client)

    def transport_class(self) -> Any:
        return _load(self.transport)


def _load(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


TRANSPORTS = [
    TransportCase(
        "requests", "fruxon_requests:FruxonClient", "fruxon_requests:RequestsTransport", False
    ),
    TransportCase(
        "aiohttp", "fruxon_aiohttp:AsyncFruxonClient", "fruxon_aiohttp:AiohttpTransport", True
    ),
    TransportCase("httpx", "fruxon_httpx:FruxonClient", "fruxon_httpx:HttpxTransport", False),
    TransportCase(
        "httpx-async", "fruxon_httpx:AsyncFruxonClient", "fruxon_httpx:AsyncHttpxTransport", True
    ),
]

BY_NAME = {case.name: case for case in TRANSPORTS}
