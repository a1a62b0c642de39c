"""pytest plugin (entry point `pytest11`): emulator fixtures for any test suite.

`fruxon_emulator` is one server for the whole session; tests that assert on
counters call `fruxon_emulator.reset()` first. `fruxon_emulator_factory`
starts extra servers with their own config/db, stopped at test teardown.
Both stream instantly (`pacing_ms=0`, whatever the config says), so a test
suite never waits for the demo pacing of `fruxon-emulator serve`; agents with
their own `pacing_ms` (`slow-agent`) keep it.
The import of the emulator itself is deferred so merely having the plugin
installed costs nothing to test runs that never use it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from .server import ConfigSource, EmulatorServer

__all__ = ["fruxon_emulator", "fruxon_emulator_factory"]

EmulatorFactory = Callable[..., "EmulatorServer"]


@pytest.fixture(scope="session")
def fruxon_emulator() -> Iterator[EmulatorServer]:
    """A running emulator with the shipped config, shared by the session."""
    from .server import EmulatorServer

    with EmulatorServer(pacing_ms=0) as server:
        yield server


@pytest.fixture
def fruxon_emulator_factory() -> Iterator[EmulatorFactory]:
    """`factory(config=None, db=None, host=, port=, pacing_ms=0)` → a started EmulatorServer.

    `pacing_ms=None` uses the config's `[emulator] default_pacing_ms`.
    """
    from .server import EmulatorServer

    started: list[EmulatorServer] = []

    def start(
        config: ConfigSource = None,
        db: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        pacing_ms: int | None = 0,
    ) -> EmulatorServer:
        server = EmulatorServer(config, db, host, port, pacing_ms).start()
        started.append(server)
        return server

    yield start
    for server in reversed(started):
        server.stop()
