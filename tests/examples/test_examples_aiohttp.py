"""examples/aiohttp_app.py on a real aiohttp server on a free port."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from types import ModuleType
from typing import Any

import aiohttp
from aiohttp import web

from fruxon_core import SSEDecoder
from fruxon_emulator import EmulatorServer

Loader = Callable[[str], ModuleType]


@asynccontextmanager
async def serving(app: web.Application) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 and a free port (cleanup contexts included)."""
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _decode(body: bytes) -> list[tuple[str, Any]]:
    decoder = SSEDecoder()
    return [(e.event, json.loads(e.data)) for e in [*decoder.feed(body), *decoder.close()]]


def test_stream_execute_and_list_through_the_app(
    example: Loader, example_env: EmulatorServer
) -> None:
    app_module = example("aiohttp_app.py")

    async def scenario() -> None:
        async with serving(app_module.create_app()) as url, aiohttp.ClientSession() as browser:
            async with browser.get(
                f"{url}/agents/support-agent/stream", params={"question": "Hi there"}
            ) as reply:
                assert reply.status == 200
                assert reply.content_type == "text/event-stream"
                events = _decode(await reply.read())
            names = [name for name, _ in events]
            assert names[0] == "status"
            assert "tool_call" in names
            assert names[-1] == "done"
            text = "".join(data["chunk"] for name, data in events if name == "text")
            assert text.startswith('[rev 3] Turn 1: I found 3 knowledge-base articles about "Hi')

            async with browser.post(
                f"{url}/agents/echo-agent/execute", json={"parameters": {"message": "one"}}
            ) as reply:
                first = await reply.json()
            async with browser.post(
                f"{url}/agents/echo-agent/execute",
                json={"parameters": {"message": "two"}, "session_id": first["session_id"]},
            ) as reply:
                second = await reply.json()
            assert first["response"] == "Echo (turn 1): one"
            assert second["response"] == 'Echo (turn 2, previously "one"): two'

            async with browser.get(f"{url}/agents") as reply:
                ids = {agent["id"] for agent in await reply.json()}
            assert {"support-agent", "echo-agent"} <= ids

            async with browser.get(f"{url}/agents/nope/stream") as reply:
                assert reply.status == 404

    asyncio.run(scenario())


def test_browser_disconnect_cancels_the_upstream_stream(
    example: Loader, example_env: EmulatorServer
) -> None:
    app_module = example("aiohttp_app.py")
    message = " ".join(f"word{i}" for i in range(200))  # ~10 s of stream at 50 ms a word

    async def scenario() -> dict[str, Any]:
        async with serving(app_module.create_app()) as url, aiohttp.ClientSession() as browser:
            reply = await browser.get(
                f"{url}/agents/slow-agent/stream", params={"message": message}
            )
            assert reply.status == 200
            async for line in reply.content:
                if line.startswith(b"event: text"):
                    break
            reply.close()  # the browser tab is closed: drop the connection
            loop = asyncio.get_running_loop()
            for _ in range(500):
                stats = await loop.run_in_executor(None, example_env.stats)
                if stats["streams"]["clientDisconnects"]:
                    break
                await asyncio.sleep(0.02)
            return dict(stats["streams"])

    streams = asyncio.run(scenario())
    assert streams == {"open": 0, "started": 1, "completed": 0, "clientDisconnects": 1}
