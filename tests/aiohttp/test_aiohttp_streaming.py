"""AsyncEventStream against the emulator: termination, errors, idle timeouts, hooks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_aiohttp import AsyncEventStream, AsyncFruxonClient, AsyncTextStream
from fruxon_core import hookimpl
from fruxon_core.exceptions import (
    FruxonConnectionError,
    FruxonStreamError,
    FruxonTimeoutError,
    NotFoundError,
)
from fruxon_core.http import Timeout
from fruxon_core.plugins import RetryPolicy
from fruxon_emulator import FAULT_HEADER, EmulatorServer

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]


def _faulty(client: AsyncFruxonClient, fault: str, **options: Any) -> AsyncFruxonClient:
    return client.with_options(headers={FAULT_HEADER: fault}, **options)


async def _names_into(names: list[str], stream: AsyncEventStream) -> None:
    async for event in stream:
        names.append(event.event)


def test_async_for_ends_after_done(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            stream = client.stream("count-agent", parameters={"count": 3})
            assert isinstance(stream, AsyncEventStream)
            names = [event.event async for event in stream]
            assert names[-1] == "done"
            assert [n for n in names if n == "text"] == ["text"] * 3
            result = stream.final_result
            assert result is not None
            assert result.response == "tok0 tok1 tok2 "
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()

    arun(main())


def test_async_with_opens_eagerly_and_collects(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            async with client.stream("echo-agent", parameters={"message": "a b"}) as events:
                assert events.final_result is None
                result = await events.collect()
            assert result.response == "Echo (turn 1): a b"
            assert result.status == "COMPLETED"
            assert result.execution_record_id

    arun(main())


def test_stream_text(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            text = client.stream_text("echo-agent", parameters={"message": "x y"})
            assert isinstance(text, AsyncTextStream)
            chunks = [chunk async for chunk in text]
            assert "".join(chunks) == "Echo (turn 1): x y"
            assert text.final_result is not None
            async with client.stream("echo-agent").text() as text2:
                assert "".join([c async for c in text2]).startswith("Echo")

    arun(main())


def test_error_event_is_yielded_then_raises(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            stream = _faulty(client, "error_after=2").stream("count-agent")
            seen: list[str] = []
            with pytest.raises(FruxonStreamError) as info:
                await _names_into(seen, stream)
            assert seen[-1] == "error"
            assert len(seen) == 3
            assert info.value.error_code == "emulator_fault"
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()
            with pytest.raises(FruxonStreamError):
                async for _ in _faulty(client, "error_after=2").stream_text("count-agent"):
                    pass

    arun(main())


def test_eof_without_terminal_event(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client(max_retries=0) as client:
            # close-delimited body cut after two events: a clean EOF, no ``done``
            with pytest.raises(FruxonConnectionError) as info:
                async for _ in _faulty(client, "framing=close; drop_after=2").stream("count-agent"):
                    pass
            assert not isinstance(info.value, FruxonTimeoutError)
            # chunked body cut: aiohttp's payload error, chained
            with pytest.raises(FruxonConnectionError) as info:
                async for _ in _faulty(client, "drop_after=2").stream("count-agent"):
                    pass
            assert info.value.request_sent
            assert info.value.__cause__ is not None

    arun(main())


@pytest.mark.parametrize("fault", ["final_blank=0", "framing=close", "malformed_after=1"])
def test_framing_variants(arun: Run, make_async_client: Make, fault: str) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            events = [e async for e in _faulty(client, fault).stream("count-agent")]
            assert events[-1].event == "done"
            texts = [e.data.get("chunk") for e in events if e.event == "text"]
            assert texts[-3:] == ["tok7 ", "tok8 ", "tok9 "]

    arun(main())


def test_idle_timeout_is_not_reset_by_keepalives(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client(timeout=Timeout(read=5.0, stream_idle=0.4)) as client:
            stream = _faulty(client, "stall_after=2; stall_ms=3000; keepalive_ms=50").stream(
                "count-agent"
            )
            started = time.monotonic()
            seen: list[str] = []
            with pytest.raises(FruxonTimeoutError, match="stream idle"):
                await _names_into(seen, stream)
            assert len(seen) == 2
            assert 0.35 < time.monotonic() - started < 2.5

    arun(main())


def test_silent_stall_times_out(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client(timeout=Timeout(read=5.0, stream_idle=0.3)) as client:
            for stall_after in (0, 1):
                faulty = _faulty(client, f"stall_after={stall_after}; stall_ms=3000")
                with pytest.raises(FruxonTimeoutError, match="stream idle"):
                    async for _ in faulty.stream("count-agent"):
                        pass
        async with make_async_client(timeout=Timeout(read=0.2, stream_idle=5.0)) as client:
            with pytest.raises(FruxonTimeoutError, match="waiting for the server"):
                async for _ in _faulty(client, "stall_after=1; stall_ms=3000").stream(
                    "count-agent"
                ):
                    pass

    arun(main())


def test_slow_consumer_is_not_an_idle_server(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client(timeout=Timeout(stream_idle=0.2)) as client:
            names = []
            async for event in client.stream("count-agent", parameters={"count": 3}):
                names.append(event.event)
                await asyncio.sleep(0.3)  # longer than the idle limit, between events
            assert names[-1] == "done"

    arun(main())


def test_http_error_before_the_stream(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            with pytest.raises(NotFoundError):
                async for _ in client.stream("no-such-agent"):
                    pass
            with pytest.raises(NotFoundError):
                async with client.stream("no-such-agent"):
                    pass

    arun(main())


def test_stream_retried_before_it_opens(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        retry = RetryPolicy(initial_delay=0.01, jitter=0.0)
        async with make_async_client(retry=retry) as client:
            stream = _faulty(client, "status=503; times=2").stream("echo-agent")
            result = await stream.collect()
            assert result.retries == 2
        assert emulator.stats()["requests"]["byAgent"]["echo-agent"] == 3

    arun(main())


class EventRecorder:
    def __init__(self) -> None:
        self.events: list[str] = []
        self.errors: list[BaseException] = []

    @hookimpl
    def fruxon_on_stream_event(self, event: Any, context: Any) -> None:
        assert context.is_async
        assert context.transport == "aiohttp"
        self.events.append(event.event)

    @hookimpl
    def fruxon_on_error(self, error: BaseException, context: Any) -> None:
        self.errors.append(error)


def test_stream_hooks(arun: Run, make_async_client: Make) -> None:
    recorder = EventRecorder()

    async def main() -> None:
        async with make_async_client(plugins=[recorder]) as client:
            seen = [e.event async for e in client.stream("count-agent", parameters={"count": 2})]
            assert recorder.events == seen
            with pytest.raises(FruxonStreamError):
                async for _ in _faulty(client, "error_after=1").stream("count-agent"):
                    pass
            assert isinstance(recorder.errors[-1], FruxonStreamError)

    arun(main())


def test_aclose_mid_stream_closes_the_connection(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            stream = client.stream("slow-agent")
            first = await stream.__anext__()
            assert first.event
            await stream.aclose()
            await stream.aclose()  # idempotent
            with pytest.raises(StopAsyncIteration):
                await stream.__anext__()
            with pytest.raises(FruxonConnectionError, match="closed before"):
                await stream.collect()
            await _wait_for_server_close(emulator)

    arun(main())


def test_break_then_garbage_collection_closes(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            async for _ in client.stream("slow-agent"):
                break  # no aclose(): dropping the stream object must close it
            await _wait_for_server_close(emulator)

    arun(main())


async def _wait_for_server_close(emulator: EmulatorServer, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        streams = emulator.stats()["streams"]
        if streams["open"] == 0 and streams["clientDisconnects"] >= 1:
            return
        assert time.monotonic() < deadline, f"the emulator still sees the stream: {streams}"
        await asyncio.sleep(0.02)
