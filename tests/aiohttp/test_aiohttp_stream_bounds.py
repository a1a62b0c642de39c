"""Every wait for stream bytes ends: in an error, never a hang.

The stream bounds its reads itself (``_ReadWatchdog``) instead of trusting
aiohttp to wake a waiting read: aiohttp drops its ``sock_read`` timer while
reading is paused, on EOF and when the connection is closed, and a connection
closed under a pending read leaves the body neither ended nor failed. Each
test bounds the awaited read with ``asyncio.wait_for`` so a regression fails
here instead of hanging the suite.
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import pytest

from fruxon_aiohttp import AsyncEventStream, AsyncFruxonClient
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Timeout
from fruxon_emulator import FAULT_HEADER, EmulatorServer

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]

#: Far longer than any bound under test: hitting it means the read hung.
HANG = 10.0

#: One event, then no event for 8 s. The keep-alive pings (which complete no
#: event) let the server notice within 50 ms that the client has gone.
STALL = "stall_after=1; stall_ms=8000; keepalive_ms=50"


@pytest.fixture(autouse=True)
def settled(emulator: EmulatorServer) -> Iterator[None]:
    """After each test, wait until the shared emulator saw all its streams end.

    A stream the server still counts as open would skew the counters of the
    next test that asserts on them.
    """
    yield
    deadline = time.monotonic() + 5.0
    while emulator.stats()["streams"]["open"] != 0:
        assert time.monotonic() < deadline, emulator.stats()["streams"]
        time.sleep(0.02)


def _stalled(client: AsyncFruxonClient) -> AsyncEventStream:
    return client.with_options(headers={FAULT_HEADER: STALL}).stream("count-agent")


async def _waiting_read(stream: AsyncEventStream) -> asyncio.Future[Any]:
    """Start ``__anext__`` in its own task and return once it waits for bytes."""
    reader = asyncio.ensure_future(stream.__anext__())
    await asyncio.sleep(0.1)
    assert not reader.done()
    return reader


async def _outcome(reader: Awaitable[Any]) -> tuple[BaseException, float]:
    started = time.monotonic()
    with pytest.raises(BaseException) as info:  # noqa: PT011 - the caller checks the type
        await asyncio.wait_for(reader, HANG)
    assert not isinstance(info.value, asyncio.TimeoutError), "the read hung"
    return info.value, time.monotonic() - started


class _SilentBody:
    """A body whose read never returns and that ignores ``set_exception``.

    Stands for any way aiohttp can fail to wake a waiting read; the stream's
    limits must hold regardless.
    """

    total_bytes = 0

    def __init__(self) -> None:
        self.never = asyncio.get_running_loop().create_future()

    async def readany(self) -> bytes:
        await self.never
        raise AssertionError("unreachable")

    def set_exception(self, exc: BaseException, *args: Any) -> None:
        pass

    def exception(self) -> BaseException | None:
        return None

    def is_eof(self) -> bool:
        return False


@pytest.mark.parametrize(
    ("timeout", "message"),
    [
        (Timeout(connect=5.0, read=30.0, stream_idle=0.3), "stream idle"),
        (Timeout(connect=5.0, read=0.3, stream_idle=None), "read timeout"),
    ],
)
def test_limits_hold_when_aiohttp_never_wakes_the_read(
    arun: Run, make_async_client: Make, timeout: Timeout, message: str
) -> None:
    async def main() -> None:
        async with make_async_client(timeout=timeout) as client:
            stream = _stalled(client)
            assert (await stream.__anext__()).event
            stream._response.content = _SilentBody()  # type: ignore[union-attr,assignment]
            error, elapsed = await _outcome(stream.__anext__())
            assert isinstance(error, FruxonTimeoutError), repr(error)
            assert message in str(error)
            assert 0.25 < elapsed < 2.0
            await stream.aclose()

    arun(main())


@pytest.mark.parametrize(
    "timeout",
    [
        Timeout(connect=5.0, read=None, stream_idle=None),  # no limit at all: still no hang
        Timeout(connect=5.0, read=30.0, stream_idle=30.0),
    ],
)
def test_closing_the_client_under_a_waiting_read(
    arun: Run, make_async_client: Make, timeout: Timeout
) -> None:
    # session.close() closes the connection under the read: aiohttp then neither
    # ends nor fails the body and drops its sock_read timer (this used to hang).
    async def main() -> None:
        client = make_async_client(timeout=timeout)
        stream = _stalled(client)
        assert (await stream.__anext__()).event
        reader = await _waiting_read(stream)
        await client.close()
        error, elapsed = await _outcome(reader)
        assert type(error) is FruxonConnectionError, repr(error)
        assert "lost" in str(error)
        assert elapsed < 3.0
        await stream.aclose()

    arun(main())


def test_a_read_begun_on_a_connection_gone_under_the_body(
    arun: Run, make_async_client: Make
) -> None:
    # aiohttp raises RuntimeError("Connection closed.") for such a read: it is a
    # lost connection, and must surface as FruxonConnectionError.
    async def main() -> None:
        async with make_async_client() as client:
            stream = _stalled(client)
            assert (await stream.__anext__()).event
            connection = stream._response._response.connection  # type: ignore[union-attr]
            assert connection is not None
            connection.protocol.close()  # type: ignore[union-attr]
            error, _ = await _outcome(stream.__anext__())
            assert type(error) is FruxonConnectionError, repr(error)
            assert isinstance(error.__cause__, RuntimeError)
            await stream.aclose()

    arun(main())


def test_aclose_from_another_task_ends_the_waiting_read(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            stream = _stalled(client)
            assert (await stream.__anext__()).event
            reader = await _waiting_read(stream)
            await stream.aclose()
            error, elapsed = await _outcome(reader)
            assert type(error) is FruxonConnectionError, repr(error)
            assert elapsed < 1.0
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()

    arun(main())


def test_cancelling_a_waiting_read_is_still_a_cancellation(
    arun: Run, make_async_client: Make
) -> None:
    async def main() -> None:
        async with make_async_client(
            timeout=Timeout(connect=5.0, read=30.0, stream_idle=30.0)
        ) as client:
            stream = _stalled(client)
            assert (await stream.__anext__()).event
            reader = await _waiting_read(stream)
            reader.cancel()
            error, _ = await _outcome(reader)
            assert isinstance(error, asyncio.CancelledError)

    arun(main())


def test_a_timed_out_read_leaves_its_task_uncancelled(arun: Run, make_async_client: Make) -> None:
    # The watchdog ends the read by cancelling its task; the task must not stay
    # "cancelling" afterwards, or the caller's own timeouts/TaskGroups misbehave.
    async def main() -> None:
        async with make_async_client(
            timeout=Timeout(connect=5.0, read=30.0, stream_idle=0.3)
        ) as client:
            stream = _stalled(client)
            assert (await stream.__anext__()).event
            stream._response.content = _SilentBody()  # type: ignore[union-attr,assignment]
            with pytest.raises(FruxonTimeoutError, match="stream idle"):
                await stream.__anext__()
            task = asyncio.current_task()
            assert task is not None
            if sys.version_info >= (3, 11):
                assert task.cancelling() == 0
            await asyncio.sleep(0.01)  # no stray cancellation is delivered here

    arun(main())


@pytest.mark.parametrize("when", ["while waiting", "between reads"])
def test_a_dropped_connection_is_a_connection_error(
    arun: Run, make_async_client: Make, when: str
) -> None:
    # The conformance test's fault, timed on purpose: the server aborts after two
    # events either while the client's read waits or while the consumer is busy.
    head = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    frames = b'event: text\ndata: {"chunk": "a"}\n\nevent: text\ndata: {"chunk": "b"}\n\n'

    async def main() -> None:
        drop = asyncio.Event()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(head + b"%x\r\n" % len(frames) + frames + b"\r\n")
            await writer.drain()
            await drop.wait()
            writer.transport.abort()

        server = await asyncio.start_server(handle, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        try:
            client = make_async_client(base_url=f"http://127.0.0.1:{port}", max_retries=0)
            async with client:
                stream = client.stream("echo-agent")
                assert [(await stream.__anext__()).event for _ in range(2)] == ["text", "text"]
                if when == "while waiting":
                    reader = await _waiting_read(stream)
                    drop.set()
                else:
                    drop.set()
                    await asyncio.sleep(0.2)  # the FIN arrives while nobody reads
                    reader = asyncio.ensure_future(stream.__anext__())
                error, elapsed = await _outcome(reader)
                assert type(error) is FruxonConnectionError, repr(error)
                assert elapsed < 1.0
        finally:
            server.close()
            await server.wait_closed()

    arun(main())
