"""Cancelling a task mid-request or mid-stream closes its connection and leaks nothing.

Leaks are caught by the directory's autouse fixture (the loop's exception
handler and unraisable ResourceWarnings); the emulator's counters prove the
server saw the connection go away.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_emulator import FAULT_HEADER, EmulatorServer

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]


async def _eventually(check: Callable[[], bool], what: str, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        await asyncio.sleep(0.02)


def _open_connections(emulator: EmulatorServer) -> int:
    return int(emulator.stats()["connections"]["open"])


async def _cancel(task: asyncio.Task[Any]) -> None:
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


def test_cancel_mid_stream(arun: Run, make_async_client: Make, emulator: EmulatorServer) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            got_first = asyncio.Event()

            async def consume() -> None:
                async for _ in client.stream("slow-agent"):
                    got_first.set()

            task = asyncio.create_task(consume())
            await got_first.wait()
            await _cancel(task)

            def closed() -> bool:
                streams = emulator.stats()["streams"]
                return streams["open"] == 0 and streams["clientDisconnects"] == 1

            await _eventually(closed, "the emulator still sees the cancelled stream")
            assert emulator.stats()["streams"]["completed"] == 0
            assert _open_connections(emulator) == 0
            # the client stays usable after a cancellation
            assert (await client.stream("count-agent").collect()).response == "".join(
                f"tok{i} " for i in range(10)
            )

    arun(main())


def test_cancel_inside_async_with(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            entered = asyncio.Event()

            async def consume() -> None:
                async with client.stream_text("slow-agent") as chunks:
                    entered.set()
                    async for _ in chunks:
                        await asyncio.sleep(10)

            task = asyncio.create_task(consume())
            await entered.wait()
            await asyncio.sleep(0.1)
            await _cancel(task)
            await _eventually(lambda: emulator.stats()["streams"]["open"] == 0, "stream still open")

    arun(main())


@pytest.mark.parametrize("operation", ["execute", "open_stream"])
def test_cancel_mid_request(
    arun: Run, make_async_client: Make, emulator: EmulatorServer, operation: str
) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            slow = client.with_options(headers={FAULT_HEADER: "latency_ms=500"})

            async def call() -> None:
                if operation == "execute":
                    await slow.execute("echo-agent")
                else:
                    async with slow.stream("echo-agent"):
                        pass

            task = asyncio.create_task(call())
            await _eventually(lambda: _open_connections(emulator) == 1, "request not sent")
            await asyncio.sleep(0.05)
            await _cancel(task)
            await _eventually(
                lambda: _open_connections(emulator) == 0,
                "the cancelled request's connection is still open",
            )
            assert emulator.stats()["streams"]["started"] == 0

    arun(main())


def test_cancel_many_streams_at_once(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        async with make_async_client(connector_limit=10) as client:
            started = asyncio.Semaphore(0)

            async def consume() -> None:
                async for _ in client.stream("slow-agent"):
                    started.release()
                    await asyncio.sleep(0.01)

            tasks = [asyncio.create_task(consume()) for _ in range(30)]
            for _ in range(5):
                await started.acquire()
            for task in tasks:
                task.cancel()
            results = await asyncio.gather(*tasks, return_exceptions=True)
            assert all(isinstance(r, asyncio.CancelledError) or r is None for r in results)
            await _eventually(
                lambda: emulator.stats()["streams"]["open"] == 0, "streams still open"
            )
            await _eventually(lambda: _open_connections(emulator) == 0, "connections still open")

    arun(main())


def test_cancelling_wait_for_run_end_stops_the_wait_at_once(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    """The wait sleeps on the event loop: a cancelled task does not sit out its poll interval."""

    async def main() -> None:
        async with make_async_client() as client:
            paused = await client.execute("approval-agent")
            task = asyncio.create_task(
                client.wait_for_run_end(
                    "approval-agent", paused.execution_record_id, timeout=60, poll_interval=30
                )
            )
            await asyncio.sleep(0.3)  # past the first poll: now in its 7.5 s sleep
            assert not task.done()
            started = time.monotonic()
            await _cancel(task)
            assert time.monotonic() - started < 1.0
            assert _open_connections(emulator) <= 1  # the poll's pooled connection at most

    arun(main())
