"""Fixtures shared by the whole suite.

``client`` is the heart of "one suite, both transports": every conformance
test takes it and runs once against ``FruxonClient`` (requests) and once
against ``AsyncFruxonClient`` (aiohttp) seen through :class:`SyncFacade`, all
over real sockets to the session's ``fruxon_emulator`` (from the emulator's
pytest plugin).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer
from tests.facade import LoopThread, SyncFacade, event_loop_in_thread
from tests.registry import BY_NAME
from tests.registry import TRANSPORTS as TRANSPORT_CASES
from tests.transport.scripted_http import Handler, ScriptedServer

#: Every transport the conformance suite runs against (from tests/registry.py).
TRANSPORTS = [case.name for case in TRANSPORT_CASES]

ClientFactory = Callable[..., Any]


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    """The name of the transport a test runs against."""
    return str(request.param)


@pytest.fixture(scope="session")
def loop_thread() -> Iterator[LoopThread]:
    """One event loop in a background thread for every async client of the session.

    Starting and draining a loop per test cost about 8 s a run; each test still
    closes the clients it made before the next one starts.
    """
    with event_loop_in_thread() as loop:
        yield loop


@pytest.fixture
def make_client(
    transport: str, fruxon_emulator: EmulatorServer, request: pytest.FixtureRequest
) -> Iterator[ClientFactory]:
    """Build clients of the current transport pointed at the emulator; closes them after."""
    made: list[Any] = []
    case = BY_NAME[transport]
    loop: LoopThread | None = request.getfixturevalue("loop_thread") if case.is_async else None

    def factory(**overrides: Any) -> Any:
        options: dict[str, Any] = {
            "api_key": fruxon_emulator.api_key,
            "org": fruxon_emulator.org,
            "base_url": fruxon_emulator.base_url,
            "timeout": 10.0,
            "load_entrypoints": False,
        }
        options.update(overrides)
        client: Any
        if loop is not None:
            client = SyncFacade(loop.run(_construct(case.client_class(), options)), loop)
        else:
            client = case.client_class()(**options)
        made.append(client)
        return client

    try:
        yield factory
    finally:
        for client in made:
            client.close()


async def _construct(cls: Any, options: dict[str, Any]) -> Any:
    return cls(**options)


@pytest.fixture
def client(make_client: ClientFactory) -> Any:
    """A client of the current transport with default settings."""
    return make_client()


@pytest.fixture
def emulator(fruxon_emulator: EmulatorServer) -> EmulatorServer:
    """The shared emulator with its counters, sessions and fault state reset."""
    fruxon_emulator.reset()
    return fruxon_emulator


@pytest.fixture
def scripted_server() -> Iterator[Callable[[Handler], ScriptedServer]]:
    """``scripted_server(handler)`` → a running :class:`ScriptedServer`, stopped after the test.

    For the bytes the emulator never sends (a BOM, CRLF framing, a cut frame, gzip, ...).
    """
    servers: list[ScriptedServer] = []

    def start(handler: Handler, **options: Any) -> ScriptedServer:
        server = ScriptedServer(handler, **options)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()
