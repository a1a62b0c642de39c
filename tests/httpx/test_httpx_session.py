"""``session=``: the caller's own ``httpx.Client`` / ``httpx.AsyncClient``, used as it is.

Everything the caller configured on it keeps applying to the SDK's calls --
event hooks, default headers, a proxy -- and closing the Fruxon client never
closes it. Over real sockets: the emulator, or a scripted server standing in
for a proxy.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from fruxon_emulator import EmulatorServer
from fruxon_httpx import AsyncFruxonClient, FruxonClient
from tests.transport.scripted_http import Exchange, ScriptedServer, json_response

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]


def _options(emulator: EmulatorServer) -> dict[str, Any]:
    return {
        "api_key": emulator.api_key,
        "org": emulator.org,
        "base_url": emulator.base_url,
        "load_entrypoints": False,
    }


def test_sync_event_hooks_see_every_request_and_the_client_stays_open(
    emulator: EmulatorServer,
) -> None:
    seen: list[str] = []
    hooks = {
        "request": [lambda request: seen.append(f"> {request.method} {request.url.path}")],
        "response": [lambda response: seen.append(f"< {response.status_code}")],
    }
    with httpx.Client(event_hooks=hooks) as session:
        client = FruxonClient(**_options(emulator), session=session)
        assert client.session is session
        assert client.execute("echo-agent", parameters={"message": "x"}).response
        assert "".join(client.stream_text("echo-agent", parameters={"message": "y"}))
        client.close()
        assert not session.is_closed
        assert session.get(f"{emulator.base_url}/_emulator/health").status_code == 200
    prefix = f"/v1/tenants/{emulator.org}/agents/echo-agent"
    assert seen == [
        f"> POST {prefix}:execute",
        "< 200",
        f"> POST {prefix}:stream",
        "< 200",
        "> GET /_emulator/health",  # the caller's own call, after the SDK's client closed
        "< 200",
    ]


def test_async_event_hooks_see_every_request_and_the_client_stays_open(
    emulator: EmulatorServer,
) -> None:
    seen: list[str] = []

    async def on_request(request: httpx.Request) -> None:
        seen.append(f"> {request.method} {request.url.path}")

    async def on_response(response: httpx.Response) -> None:
        seen.append(f"< {response.status_code}")

    async def main() -> None:
        hooks = {"request": [on_request], "response": [on_response]}
        async with httpx.AsyncClient(event_hooks=hooks) as session:
            async with AsyncFruxonClient(**_options(emulator), session=session) as client:
                assert client.session is session
                await client.execute("echo-agent", parameters={"message": "x"})
                async for _ in client.stream("echo-agent"):
                    pass
            assert not session.is_closed
            assert (await session.get(f"{emulator.base_url}/_emulator/health")).status_code == 200

    asyncio.run(main())
    prefix = f"/v1/tenants/{emulator.org}/agents/echo-agent"
    assert seen == [
        f"> POST {prefix}:execute",
        "< 200",
        f"> POST {prefix}:stream",
        "< 200",
        "> GET /_emulator/health",  # the caller's own call, after the SDK's client closed
        "< 200",
    ]


def test_the_callers_headers_and_proxy_apply(scripted_server: Start) -> None:
    """A proxy configured on the caller's client receives the SDK's requests in absolute
    form; the caller's default headers travel with them, the SDK's own headers win."""

    def proxy(exchange: Exchange) -> None:
        exchange.send(json_response({"id": "support-agent", "displayName": "Support"}))

    server = scripted_server(proxy)
    upstream = "http://api.fruxon.invalid"
    session = httpx.Client(
        proxy=server.base_url, headers={"X-Team": "payments", "User-Agent": "theirs"}
    )
    with session, FruxonClient("fxn_key", "acme", base_url=upstream, session=session) as client:
        assert client.get_agent("support-agent").id == "support-agent"
    (request,) = server.requests
    assert request.target == f"{upstream}/v1/tenants/acme/agents/support-agent"
    assert request.headers["x-team"] == "payments"
    assert request.headers["x-api-key"] == "fxn_key"
    assert request.headers["user-agent"].startswith("fruxon-python/")
    assert "httpx/" in request.headers["user-agent"]


def test_a_client_made_by_the_sdk_is_closed_with_it(emulator: EmulatorServer) -> None:
    client = FruxonClient(**_options(emulator))
    session = client.session
    assert isinstance(session, httpx.Client)
    client.execute("echo-agent")
    client.close()
    assert session.is_closed


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_server_cookies_are_not_kept_by_the_sdks_own_client(
    scripted_server: Start, kind: str
) -> None:
    def handler(exchange: Exchange) -> None:
        reply = json_response({"id": "a", "cookie": exchange.request.headers.get("cookie")})
        exchange.send(reply.replace(b"\r\n\r\n", b"\r\nSet-Cookie: lb=1; Path=/\r\n\r\n", 1))

    server = scripted_server(handler)
    if kind == "sync":
        with FruxonClient("k", "o", base_url=server.base_url, load_entrypoints=False) as client:
            client.get_agent("a")
            client.get_agent("a")
            assert len(client.session.cookies) == 0
    else:

        async def main() -> None:
            async with AsyncFruxonClient("k", "o", base_url=server.base_url) as client:
                await client.get_agent("a")
                await client.get_agent("a")
                assert client.session is not None
                assert len(client.session.cookies) == 0

        asyncio.run(main())
    assert [request.headers.get("cookie") for request in server.requests] == [None, None]


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_sdks_own_client_sends_httpx_defaults_under_the_sdks_headers(
    scripted_server: Start, kind: str
) -> None:
    """The own client skips ``Client.send`` but still sends the client's default headers
    (compression offered), each once, with the SDK's value where both set one."""
    server = scripted_server(lambda exchange: exchange.send(json_response({"id": "a"})))
    if kind == "sync":
        with FruxonClient("k", "o", base_url=server.base_url, load_entrypoints=False) as client:
            client.get_agent("a")
    else:

        async def main() -> None:
            async with AsyncFruxonClient("k", "o", base_url=server.base_url) as client:
                await client.get_agent("a")

        asyncio.run(main())
    (request,) = server.requests
    assert "gzip" in request.headers["accept-encoding"]
    assert request.headers["user-agent"].startswith("fruxon")
    assert "python-httpx" not in request.headers["user-agent"]
    assert request.headers["accept"] == "application/json"
