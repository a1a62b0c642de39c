"""Running the emulator: on a background thread (EmulatorServer), on the
caller's event loop (running_emulator) or in the foreground (the CLI).

The thread form is what synchronous code needs — pytest fixtures, the sync
client's tests, `fruxon run --emulator`, benchmarks — because the server
must keep answering while the calling thread blocks on a socket.

`pacing_ms` is the pause between text chunks for agents whose script sets no
`pacing_ms` of its own; None means the config's `[emulator] default_pacing_ms`
(else 0, instant). Only `fruxon-emulator serve` paces by default.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import AsyncIterator, Callable, Mapping
from types import TracebackType
from typing import Any, TypeVar

from aiohttp import web

from .app import create_web_server
from .config import (
    EmulatorConfig,
    TenantConfig,
    config_from_mapping,
    default_config,
    load_config,
)
from .state import EmulatorState

__all__ = [
    "ConfigSource",
    "EmulatorServer",
    "ListeningEmulator",
    "resolve_config",
    "running_emulator",
]

ConfigSource = EmulatorConfig | Mapping[str, Any] | str | os.PathLike[str] | None
T = TypeVar("T")
_SHUTDOWN_TIMEOUT_S = 0.25  # in-flight streams must not hold up test teardown
_START_TIMEOUT_S = 30.0


def _cancel_leftover_tasks(loop: asyncio.AbstractEventLoop) -> None:
    pending = asyncio.all_tasks(loop)
    for task in pending:
        task.cancel()
    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
    loop.run_until_complete(loop.shutdown_asyncgens())


def resolve_config(config: ConfigSource) -> EmulatorConfig:
    """None → shipped default; a mapping → parsed TOML data; str/path → a TOML file."""
    if config is None:
        return default_config()
    if isinstance(config, EmulatorConfig):
        return config
    if isinstance(config, Mapping):
        return config_from_mapping(config)
    return load_config(config)


class ListeningEmulator:
    """An emulator bound to a socket on the running event loop."""

    def __init__(
        self,
        config: EmulatorConfig,
        db: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        pacing_ms: int | None = None,
    ) -> None:
        self.config = config
        self.db = db
        self.host = host
        self.pacing_ms = pacing_ms
        self.port = 0
        self.state: EmulatorState | None = None
        self._runner: web.ServerRunner | None = None

    async def open(self, port: int = 0) -> None:
        state = EmulatorState(self.config, self.db, self.pacing_ms)
        server = create_web_server(state)
        runner = web.ServerRunner(server, shutdown_timeout=_SHUTDOWN_TIMEOUT_S)
        await runner.setup()
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        state.open_connections = lambda: len(server.connections)
        self.state, self._runner = state, runner
        self.port = int(runner.addresses[0][1])

    async def close(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self.state is not None:
            await self.state.aclose()

    # -- what callers need to talk to it -------------------------------------------------
    @property
    def base_url(self) -> str:
        if not self.port:
            raise RuntimeError("the emulator is not running")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def org(self) -> str:
        return self.config.tenants[0].id

    @property
    def api_key(self) -> str:
        return self.config.tenants[0].api_keys[0]

    @property
    def other_org(self) -> str:
        return self._second_tenant().id

    @property
    def other_api_key(self) -> str:
        return self._second_tenant().api_keys[0]

    def _second_tenant(self) -> TenantConfig:
        if len(self.config.tenants) < 2:
            raise LookupError("this emulator config declares only one tenant")
        return self.config.tenants[1]

    def stats(self) -> dict[str, Any]:
        """Same content as `GET /_emulator/stats` (call on the loop's thread)."""
        return self._state().snapshot()

    def reset(self) -> None:
        """Same as `POST /_emulator/reset` (call on the loop's thread)."""
        self._state().reset()

    def _state(self) -> EmulatorState:
        if self.state is None:
            raise RuntimeError("the emulator is not running")
        return self.state


@contextlib.asynccontextmanager
async def running_emulator(
    config: ConfigSource = None,
    db: str | os.PathLike[str] | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    pacing_ms: int | None = None,
) -> AsyncIterator[ListeningEmulator]:
    """`async with running_emulator() as emu:` — serve on the current loop."""
    emulator = ListeningEmulator(resolve_config(config), db, host, pacing_ms)
    await emulator.open(port)
    try:
        yield emulator
    finally:
        await emulator.close()


class EmulatorServer(ListeningEmulator):
    """An emulator on its own event loop in a daemon thread.

    `start()` returns once the socket listens (port 0 picks a free one);
    `stop()` (or leaving the `with` block, or interpreter exit) shuts it down.
    """

    def __init__(
        self,
        config: ConfigSource = None,
        db: str | os.PathLike[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        pacing_ms: int | None = None,
    ) -> None:
        super().__init__(resolve_config(config), db, host, pacing_ms)
        self.requested_port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> EmulatorServer:
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        thread = threading.Thread(
            target=self._serve, args=(loop, ready, failure), name="fruxon-emulator", daemon=True
        )
        thread.start()
        if not ready.wait(_START_TIMEOUT_S):
            raise RuntimeError("the emulator did not start in time")
        if failure:
            thread.join()
            raise failure[0]
        self._loop, self._thread = loop, thread
        atexit.register(self.stop)
        return self

    def _serve(
        self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self.open(self.requested_port))
        except BaseException as exc:  # reported to start()'s caller
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(self.close())
            _cancel_leftover_tasks(loop)
            loop.close()

    def stop(self) -> None:
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        atexit.unregister(self.stop)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self.port = 0

    def _on_loop(self, func: Callable[[], T]) -> T:
        """Run `func` on the server's loop: its state is not thread-safe."""
        loop = self._loop
        if loop is None:
            raise RuntimeError("the emulator is not running")

        async def invoke() -> T:
            return func()

        return asyncio.run_coroutine_threadsafe(invoke(), loop).result(timeout=10)

    def stats(self) -> dict[str, Any]:
        """Same content as `GET /_emulator/stats`; safe from any thread."""
        return self._on_loop(super().stats)

    def reset(self) -> None:
        """Same as `POST /_emulator/reset`; safe from any thread."""
        self._on_loop(super().reset)

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
