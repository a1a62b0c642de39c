"""aiohttp failures become FruxonConnectionError / FruxonTimeoutError, over real sockets."""

from __future__ import annotations

import asyncio
import base64
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_aiohttp.transport import (
    _headers,
    _OriginSettings,
    client_timeout,
    map_transport_error,
)
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Timeout
from fruxon_emulator import FAULT_HEADER
from tests.transport.scripted_http import ScriptedServer, json_response

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


def test_response_headers_keep_each_value_with_its_name() -> None:
    raw = CIMultiDictProxy(
        CIMultiDict([("Content-Type", "application/json"), ("X-Request-ID", "r1"), ("ETag", "e")])
    )
    assert _headers(raw) == {"content-type": "application/json", "x-request-id": "r1", "etag": "e"}
    assert _headers(CIMultiDictProxy(CIMultiDict())) == {}


# -- proxy environment and ~/.netrc: as trust_env, read once per origin --------------------


def _proxy_environment(monkeypatch: pytest.MonkeyPatch, proxy: str | None) -> None:
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.delenv(name, raising=False)
    if proxy is not None:
        monkeypatch.setenv("HTTP_PROXY", proxy)
        monkeypatch.setenv("http_proxy", proxy)


def _count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    read = _OriginSettings.read

    def counted(url: str) -> _OriginSettings:
        reads.append(url)
        return read(url)

    monkeypatch.setattr(_OriginSettings, "read", staticmethod(counted))
    return reads


def test_a_proxy_from_the_environment_gets_its_credentials_and_is_read_once(
    arun: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy = ScriptedServer(lambda exchange: exchange.send(json_response({"id": "via-proxy"})))
    netrc = tmp_path / "netrc"  # credentials for the proxy host only: not sent to the API
    netrc.write_text("machine 127.0.0.2 login nobody password nothing\n")
    monkeypatch.setenv("NETRC", str(netrc))
    origin = f"http://127.0.0.1:{_closed_port()}"  # nothing listens: only the proxy answers
    try:
        _proxy_environment(monkeypatch, f"http://us%40er:p%3Ass@127.0.0.1:{proxy.port}")
        reads = _count_reads(monkeypatch)

        async def main() -> None:
            async with AsyncFruxonClient("fxn_k", "acme", origin, max_retries=0) as client:
                for _ in range(3):
                    assert (await client.get_agent("a")).id == "via-proxy"

        arun(main())
    finally:
        proxy.close()
    assert len(reads) == 1  # not once per request, as trust_env would
    assert [request.target for request in proxy.requests] == [
        f"{origin}/v1/tenants/acme/agents/a"
    ] * 3
    credentials = base64.b64encode(b"us@er:p:ss").decode()
    for request in proxy.requests:
        assert request.headers["proxy-authorization"] == f"Basic {credentials}"
        assert "authorization" not in request.headers


def test_proxy_credentials_from_netrc_and_a_netrc_entry_for_the_api_host(
    arun: Run, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    proxy = ScriptedServer(lambda exchange: exchange.send(json_response({"id": "via-proxy"})))
    api = ScriptedServer(lambda exchange: exchange.send(json_response({"id": "direct"})))
    netrc = tmp_path / "netrc"
    netrc.write_text("machine localhost login proxy-user password proxy-pw\n"
                     "machine 127.0.0.1 login api-user password api-pw\n")  # fmt: skip
    monkeypatch.setenv("NETRC", str(netrc))
    try:
        _proxy_environment(monkeypatch, f"http://localhost:{proxy.port}")
        monkeypatch.setenv("NO_PROXY", "127.0.0.1")
        monkeypatch.setenv("no_proxy", "127.0.0.1")

        async def main() -> None:
            async with AsyncFruxonClient("fxn_k", "acme", api.base_url, max_retries=0) as client:
                assert (await client.get_agent("a")).id == "direct"  # NO_PROXY
            async with AsyncFruxonClient(
                "fxn_k", "acme", api.base_url, max_retries=0, auth_scheme="bearer"
            ) as client:
                assert (await client.get_agent("a")).id == "direct"
            async with AsyncFruxonClient(
                "fxn_k", "acme", f"http://127.0.0.2:{proxy.port}", max_retries=0
            ) as client:
                assert (await client.get_agent("a")).id == "via-proxy"

        arun(main())
    finally:
        proxy.close()
        api.close()
    plain, bearer = api.requests
    api_credentials = base64.b64encode(b"api-user:api-pw").decode()
    assert plain.headers["authorization"] == f"Basic {api_credentials}"
    assert plain.headers["x-api-key"] == "fxn_k"
    assert bearer.headers["authorization"] == "Bearer fxn_k"  # the request's own one wins
    (proxied,) = proxy.requests
    assert proxied.headers["proxy-authorization"] == (
        "Basic " + base64.b64encode(b"proxy-user:proxy-pw").decode()
    )


def test_a_callers_session_is_used_as_it_is(arun: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    api = ScriptedServer(lambda exchange: exchange.send(json_response({"id": "direct"})))
    _proxy_environment(monkeypatch, f"http://127.0.0.1:{_closed_port()}")
    reads = _count_reads(monkeypatch)

    async def main() -> None:
        # (trust_env=False: the session does not use the proxy, and the client adds none)
        async with (
            aiohttp.ClientSession() as session,
            AsyncFruxonClient(
                "fxn_k", "acme", api.base_url, max_retries=0, session=session
            ) as client,
        ):
            assert (await client.get_agent("a")).id == "direct"

    try:
        arun(main())
    finally:
        api.close()
    assert reads == []


def test_the_session_loop_is_told_by_the_thread_it_runs_in(arun: Run) -> None:
    from fruxon_aiohttp.transport import AiohttpTransport

    transport = AiohttpTransport()
    other = asyncio.new_event_loop()

    async def main() -> None:
        transport._loop = asyncio.get_running_loop()
        assert transport._on_session_loop()
        transport._loop = other  # not running: records no thread, and is not the running loop
        assert not transport._on_session_loop()
        transport._loop = None
        assert not transport._on_session_loop()

    try:
        arun(main())
    finally:
        other.close()
