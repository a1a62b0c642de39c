"""Run the files in ``examples/`` against the emulator, so they never rot.

Examples read ``FRUXON_API_KEY`` / ``FRUXON_ORG`` / ``FRUXON_BASE_URL`` like a
real deployment would; ``example_env`` points them at the session's emulator.
Each example is imported from its path under a unique module name (the
directory is not a package), and web apps are served on free ports by real
servers (uvicorn, aiohttp) where the behaviour under test needs real sockets.
"""

from __future__ import annotations

import importlib.util
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def example_env(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> EmulatorServer:
    """The environment an example reads, pointing at the (freshly reset) emulator."""
    monkeypatch.setenv("FRUXON_API_KEY", emulator.api_key)
    monkeypatch.setenv("FRUXON_ORG", emulator.org)
    monkeypatch.setenv("FRUXON_BASE_URL", emulator.base_url)
    return emulator


def load_example(relative: str) -> ModuleType:
    """Import ``examples/<relative>`` as a fresh module."""
    path = EXAMPLES / relative
    name = "fruxon_example_" + relative.removesuffix(".py").replace("/", "_")
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None, path
    assert spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pydantic look their module up
    try:
        spec.loader.exec_module(module)
    except BaseException:
        del sys.modules[name]
        raise
    return module


@pytest.fixture
def example() -> Iterator[Callable[[str], ModuleType]]:
    """``example("fastapi_relay.py")`` → the imported module (unloaded after the test)."""
    loaded: list[str] = []

    def load(relative: str) -> ModuleType:
        module = load_example(relative)
        loaded.append(module.__name__)
        return module

    yield load
    for name in loaded:
        sys.modules.pop(name, None)


@contextmanager
def serve_asgi(app: Any) -> Iterator[str]:
    """Serve an ASGI app with uvicorn on a free port (lifespan included); yields its URL."""
    import uvicorn

    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive(), "uvicorn failed to start"
        assert time.monotonic() < deadline, "uvicorn did not start in time"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(20)
        assert not thread.is_alive(), "uvicorn did not stop"


def wait_for(predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll until server-side state catches up with what a client did."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()


class Helpers:
    """Reached through the ``helpers`` fixture: test modules here cannot import conftest."""

    examples = EXAMPLES
    serve_asgi = staticmethod(serve_asgi)
    wait_for = staticmethod(wait_for)
    load_example = staticmethod(load_example)


@pytest.fixture
def helpers() -> type[Helpers]:
    return Helpers
