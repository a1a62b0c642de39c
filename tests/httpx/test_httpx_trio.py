"""``AsyncFruxonClient`` (httpx) under trio as well as asyncio, over real sockets.

Each test body is one anyio program run with ``anyio.run(..., backend=...)``
on both backends: the calls, the stream reads and their per-read timeouts
(a task-owned read of the network stream), retry sleeps, the total deadline,
closing a stream early, and a client moved to another run.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import anyio
import pytest

from fruxon_core.exceptions import (
    EventLoopMismatchError,
    FruxonConnectionError,
    FruxonTimeoutError,
)
from fruxon_core.http import Timeout
from fruxon_core.plugins import RetryPolicy
from fruxon_emulator import FAULT_HEADER, EmulatorServer
from fruxon_httpx import AsyncFruxonClient

FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.02)


@pytest.fixture(params=["asyncio", "trio"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(emulator: EmulatorServer, fault: str | None = None, **options: Any) -> Any:
    headers = {FAULT_HEADER: f"{fault}; key=trio-{uuid.uuid4()}"} if fault else {}
    options.setdefault("timeout", 10.0)
    return AsyncFruxonClient(
        emulator.api_key,
        emulator.org,
        base_url=emulator.base_url,
        load_entrypoints=False,
        default_headers=headers,
        retry=FAST_RETRY,
        **options,
    )


def _run(backend: str, main: Callable[[], Awaitable[None]]) -> None:
    anyio.run(main, backend=backend)


def test_calls_streams_and_pages(backend: str, emulator: EmulatorServer) -> None:
    async def main() -> None:
        async with _client(emulator) as client:
            result = await client.execute("echo-agent", parameters={"message": "hi"})
            assert result.response == "Echo (turn 1): hi"
            chunks = [
                c async for c in client.stream_text("echo-agent", parameters={"message": "s"})
            ]
            assert "".join(chunks) == "Echo (turn 1): s"
            question = {"question": "Where is my order?"}
            events = [e.event async for e in client.stream("support-agent", parameters=question)]
            assert events[-1] == "done"
            assert any(agent.id == "support-agent" for agent in await client.list_agents())

    _run(backend, main)


def test_a_retry_sleeps_on_the_running_library(backend: str, emulator: EmulatorServer) -> None:
    async def main() -> None:
        async with _client(emulator, "status=503; times=1") as client:
            result = await client.execute("echo-agent", parameters={"message": "again"})
            assert result.retries == 1

    _run(backend, main)


@pytest.mark.parametrize("keepalive", ["", "; keepalive_ms=40"])
def test_a_stalled_stream_times_out(backend: str, emulator: EmulatorServer, keepalive: str) -> None:
    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.6)

    async def main() -> None:
        async with _client(
            emulator, f"stall_after=2; stall_ms=3000{keepalive}", timeout=timeout
        ) as c:
            seen: list[str] = []
            started = time.monotonic()

            async def consume() -> None:
                async for event in c.stream("echo-agent"):
                    seen.append(event.event)

            with pytest.raises(FruxonTimeoutError, match="stream idle timeout"):
                await consume()
            assert seen == ["status", "text"]
            assert time.monotonic() - started < 2.0

    _run(backend, main)


def test_the_total_deadline_bounds_a_call(backend: str, emulator: EmulatorServer) -> None:
    timeout = Timeout(connect=5.0, read=5.0, stream_idle=5.0, total=0.4)

    async def main() -> None:
        async with _client(emulator, "latency_ms=2000", timeout=timeout, max_retries=0) as c:
            started = time.monotonic()
            with pytest.raises(FruxonTimeoutError):
                await c.get_agent("support-agent")
            assert time.monotonic() - started < 1.5

    _run(backend, main)


# Under trio, httpcore's body generators left unexhausted by an early exit are finalized
# by trio, which warns (bare httpx does the same); the connection itself is closed.
@pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <async_generator object:pytest.PytestUnraisableExceptionWarning"
)
def test_leaving_a_stream_early_closes_its_connection(
    backend: str, emulator: EmulatorServer
) -> None:
    message = " ".join(f"word{i}" for i in range(100))  # ~5 s at 50 ms a word

    async def main() -> None:
        async with _client(emulator) as client:
            async with client.stream("slow-agent", parameters={"message": message}) as stream:
                async for event in stream:
                    if event.event == "text":
                        break
            for _ in range(500):  # the server notices the hang-up
                if emulator.stats()["streams"]["clientDisconnects"] == 1:
                    break
                await anyio.sleep(0.01)
            assert emulator.stats()["streams"]["clientDisconnects"] == 1
            # the client is still fine for the next call
            assert (await client.execute("echo-agent")).response

    _run(backend, main)


def test_closing_the_client_under_a_waiting_read(backend: str, emulator: EmulatorServer) -> None:
    timeout = Timeout(connect=5.0, read=30.0, stream_idle=30.0)

    async def main() -> None:
        client = _client(emulator, "stall_after=1; stall_ms=8000; keepalive_ms=50", timeout=timeout)
        stream = client.stream("count-agent")
        assert (await stream.__anext__()).event
        outcome: list[BaseException] = []

        async def read() -> None:
            try:
                await stream.__anext__()
            except BaseException as exc:
                outcome.append(exc)

        started = time.monotonic()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(read)
            await anyio.sleep(0.2)
            await client.close()
        assert time.monotonic() - started < 3.0
        assert isinstance(outcome[0], FruxonConnectionError), outcome
        await stream.aclose()

    _run(backend, main)


def test_a_client_used_by_a_second_run_says_so(backend: str, emulator: EmulatorServer) -> None:
    """A run in another thread gets the clear error at once; the first run goes on."""
    client = _client(emulator)

    async def second() -> None:
        with pytest.raises(EventLoopMismatchError, match="one client per event loop"):
            await client.execute("echo-agent")
        with pytest.raises(EventLoopMismatchError):
            await client.stream("echo-agent").__anext__()
        with pytest.raises(EventLoopMismatchError, match="close"):
            await client.close()

    async def main() -> None:
        await client.execute("echo-agent")
        started = time.monotonic()
        await anyio.to_thread.run_sync(lambda: anyio.run(second, backend=backend))
        assert time.monotonic() - started < 2.0
        assert (await client.execute("echo-agent", parameters={"message": "on"})).response
        await client.close()
        assert client.session is None

    _run(backend, main)


def test_a_trio_client_can_be_closed_after_its_run_ended(emulator: EmulatorServer) -> None:
    client = _client(emulator)

    async def first() -> None:
        await client.execute("echo-agent")

    async def close() -> None:
        await client.close()

    _run("trio", first)
    session = client.session
    assert session is not None
    _run("trio", close)  # trio sockets belong to no run: closed, not left to the GC
    assert client.session is None
    assert session.is_closed
