"""aiohttp failures become FruxonConnectionError / FruxonTimeoutError, over real sockets."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_aiohttp.transport import _headers, client_timeout, map_transport_error
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Timeout
from fruxon_emulator import FAULT_HEADER

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_connection_refused_is_not_sent(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        base_url = f"http://127.0.0.1:{_closed_port()}"
        async with make_async_client(base_url=base_url, max_retries=0) as client:
            with pytest.raises(FruxonConnectionError) as info:
                await client.execute("echo-agent")
            assert info.value.request_sent is False
            assert isinstance(info.value.__cause__, aiohttp.ClientConnectorError)
            with pytest.raises(FruxonConnectionError) as info:
                async for _ in client.stream("echo-agent"):
                    pass
            assert info.value.request_sent is False

    arun(main())


def test_read_timeout(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        timeout = Timeout(connect=5.0, read=0.2)
        async with make_async_client(timeout=timeout, max_retries=0) as client:
            slow = client.with_options(headers={FAULT_HEADER: "latency_ms=1500"})
            with pytest.raises(FruxonTimeoutError) as info:
                await slow.execute("echo-agent")
            assert info.value.request_sent is True
            assert isinstance(info.value.__cause__, asyncio.TimeoutError)
            with pytest.raises(FruxonTimeoutError):
                async for _ in slow.stream("echo-agent"):
                    pass

    arun(main())


def test_total_deadline_bounds_a_call(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        timeout = Timeout(connect=5.0, read=30.0, total=0.3)
        async with make_async_client(timeout=timeout) as client:
            slow = client.with_options(headers={FAULT_HEADER: "latency_ms=1500"})
            loop = asyncio.get_running_loop()
            started = loop.time()
            with pytest.raises(FruxonTimeoutError):
                await slow.execute("echo-agent")
            assert loop.time() - started < 1.2

    arun(main())


def test_waiting_for_a_pool_slot_counts_against_the_deadline(
    arun: Run, make_async_client: Make
) -> None:
    async def main() -> None:
        async with make_async_client(connector_limit=1) as client:
            stalled = client.with_options(headers={FAULT_HEADER: "stall_after=1; stall_ms=2000"})
            holder = stalled.stream("count-agent")
            await holder.__anext__()  # holds the only connection
            bounded = client.with_options(timeout=Timeout(total=0.3), max_retries=0)
            with pytest.raises(FruxonTimeoutError) as info:
                async for _ in bounded.stream("echo-agent"):
                    pass
            assert info.value.request_sent is False
            with pytest.raises(FruxonTimeoutError):
                await bounded.execute("echo-agent")
            await holder.aclose()
            await client.execute("echo-agent")  # the slot is free again

    arun(main())


async def _hang_up_server(on_connect: Callable[[asyncio.StreamWriter], Any]) -> asyncio.Server:
    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        await on_connect(writer)
        writer.close()
        await writer.wait_closed()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


@pytest.mark.parametrize(
    ("reply", "cause"),
    [
        (b"", aiohttp.ServerDisconnectedError),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{", aiohttp.ClientPayloadError),
    ],
)
def test_server_hangs_up(arun: Run, make_async_client: Make, reply: bytes, cause: type) -> None:
    async def send_reply(writer: asyncio.StreamWriter) -> None:
        writer.write(reply)
        await writer.drain()

    async def main() -> None:
        server = await _hang_up_server(send_reply)
        port = server.sockets[0].getsockname()[1]
        try:
            client = make_async_client(base_url=f"http://127.0.0.1:{port}", max_retries=0)
            async with client:
                with pytest.raises(FruxonConnectionError) as info:
                    await client.execute("echo-agent")
            assert not isinstance(info.value, FruxonTimeoutError)
            assert info.value.request_sent is True
            assert isinstance(info.value.__cause__, cause)
        finally:
            server.close()
            await server.wait_closed()

    arun(main())


@pytest.mark.parametrize(
    ("error", "kind", "sent"),
    [
        (aiohttp.ServerTimeoutError("read"), FruxonTimeoutError, True),
        (asyncio.TimeoutError(), FruxonTimeoutError, True),
        (aiohttp.ServerDisconnectedError(), FruxonConnectionError, True),
        (aiohttp.ClientPayloadError("cut"), FruxonConnectionError, True),
        (aiohttp.ClientOSError(104, "reset"), FruxonConnectionError, True),
        (ConnectionResetError(104, "reset"), FruxonConnectionError, True),
        (aiohttp.InvalidURL("http://"), FruxonConnectionError, False),
    ],
)
def test_error_mapping(error: BaseException, kind: type, sent: bool) -> None:
    mapped = map_transport_error(error)
    assert type(mapped) is kind
    assert mapped.request_sent is sent


def test_connect_timeout_mapping() -> None:
    connect_timeout = getattr(aiohttp, "ConnectionTimeoutError", None)
    if connect_timeout is None:  # aiohttp < 3.10 cannot tell connect from read timeouts
        assert map_transport_error(aiohttp.ServerTimeoutError()).request_sent is True
        return
    mapped = map_transport_error(connect_timeout("connect"))
    assert isinstance(mapped, FruxonTimeoutError)
    assert mapped.request_sent is False


def test_timeouts_per_attempt() -> None:
    timeout = Timeout(connect=2.0, read=30.0, stream_idle=5.0)
    plain = client_timeout(timeout, False, None)
    assert (plain.total, plain.connect, plain.sock_connect, plain.sock_read) == (
        None,
        None,
        2.0,
        30.0,
    )
    stream = client_timeout(timeout, True, 7.0)
    assert (stream.total, stream.connect, stream.sock_connect, stream.sock_read) == (
        None,
        7.0,
        2.0,
        5.0,
    )
    assert client_timeout(timeout, False, 7.0).total == 7.0
    none = client_timeout(Timeout.of(None), True, None)
    assert (none.total, none.connect, none.sock_connect, none.sock_read) == (None,) * 4


def test_repeated_response_headers_are_joined() -> None:
    raw = CIMultiDictProxy(CIMultiDict([("Vary", "a"), ("X-One", "1"), ("vary", "b")]))
    assert _headers(raw) == {"vary": "a, b", "x-one": "1"}
    assert _headers(CIMultiDictProxy(CIMultiDict([("A", "1")]))) == {"a": "1"}
