"""Fixtures of the sync client's own tests (the emulator fixtures come from its plugin)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.requests.scripted_http import Handler, ScriptedServer


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
