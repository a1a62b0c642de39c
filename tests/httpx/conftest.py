"""Fixtures of the httpx clients' own tests.

``transport`` is narrowed to the two httpx clients, so the root ``make_client``
fixture (sync surface; the async client behind :class:`~tests.facade.SyncFacade`)
builds ``fruxon_httpx.FruxonClient`` and ``fruxon_httpx.AsyncFruxonClient``.
The scripted server answers with raw bytes over a real socket, for the byte-level cases.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.requests.scripted_http import Handler, ScriptedServer

HTTPX_TRANSPORTS = ["httpx", "httpx-async"]


@pytest.fixture(params=HTTPX_TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Handler], ScriptedServer]]:
    """``scripted_server(handler)`` → a running :class:`ScriptedServer`, stopped after the test."""
    servers: list[ScriptedServer] = []

    def start(handler: Handler) -> ScriptedServer:
        server = ScriptedServer(handler)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
