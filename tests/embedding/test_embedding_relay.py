"""Relaying streams: ``encode_sse`` re-serialises events so faithfully that a relay can stand
in for the API itself, and a consumer leaving the relay cancels the upstream stream.

The relay here is a transparent aiohttp.web proxy for the ``:stream`` route, on
its own event loop thread, using one AsyncFruxonClient created on that loop.
The SDK's own FruxonClient, pointed at the proxy, must see the same events as
when it talks to the emulator directly.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from aiohttp import web

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_core import SSEDecoder, StreamEvent, encode_sse
from fruxon_core.events import decode_stream_event
from fruxon_core.exceptions import FruxonStreamError
from fruxon_emulator import FAULT_HEADER, EmulatorServer
from fruxon_requests import FruxonClient
from tests.facade import event_loop_in_thread

UPSTREAM = web.AppKey("upstream", AsyncFruxonClient)


async def relay_stream(request: web.Request) -> web.StreamResponse:
    """``POST /v1/tenants/{org}/agents/{agent}:stream``, answered from the upstream client."""
    body: dict[str, Any] = await request.json()
    upstream = request.app[UPSTREAM]
    fault = request.headers.get(FAULT_HEADER)
    if fault is not None:  # lets a test make the upstream run fail
        upstream = upstream.with_options(headers={FAULT_HEADER: fault})
    events = upstream.stream(
        request.match_info["agent"],
        parameters=body.get("parameters"),
        session_id=body.get("sessionId"),
    )
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await response.prepare(request)
    try:
        async for event in events:
            await response.write(encode_sse(event))
    except FruxonStreamError:
        pass  # its `error` event was relayed already
    except ConnectionResetError:
        return response  # the consumer left
    finally:
        await events.aclose()
    await response.write_eof()
    return response


def _relay_app(emulator: EmulatorServer) -> web.Application:
    async def upstream(app: web.Application) -> Any:
        app[UPSTREAM] = AsyncFruxonClient(
            api_key=emulator.api_key,
            org=emulator.org,
            base_url=emulator.base_url,
            load_entrypoints=False,
        )
        yield
        await app[UPSTREAM].close()

    app = web.Application()
    app.cleanup_ctx.append(upstream)
    app.router.add_post(r"/v1/tenants/{org}/agents/{agent:[^/:]+}:stream", relay_stream)
    return app


@pytest.fixture
def relay_url(emulator: EmulatorServer) -> Iterator[str]:
    with event_loop_in_thread() as loop:
        runner = web.AppRunner(_relay_app(emulator))

        async def start() -> int:
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            return int(runner.addresses[0][1])

        port = loop.run(start())
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            loop.run(runner.cleanup())


def _client(emulator: EmulatorServer, base_url: str) -> FruxonClient:
    return FruxonClient(
        api_key=emulator.api_key, org=emulator.org, base_url=base_url, load_entrypoints=False
    )


def _shape(event: StreamEvent) -> tuple[str, list[str]]:
    """Name and field names: ids, times and costs differ between two runs, the shape must not."""
    return event.event, sorted(event.data)


@pytest.mark.parametrize(
    ("agent", "parameters"),
    [
        ("support-agent", {"question": "Where is my order?"}),
        ("echo-agent", {"message": 'ünïcødé ✓ and "quotes"\nand a newline'}),
        ("count-agent", {"count": 200}),
    ],
)
def test_encode_sse_round_trips_every_event_of_a_real_stream(
    emulator: EmulatorServer, agent: str, parameters: dict[str, Any]
) -> None:
    with _client(emulator, emulator.base_url) as client:
        events = list(client.stream(agent, parameters=parameters))
    wire = b"".join(encode_sse(event) for event in events)
    decoder = SSEDecoder()
    decoded = [decode_stream_event(sse) for sse in [*decoder.feed(wire), *decoder.close()]]
    assert decoded == events
    # ... in any chunking: one byte at a time, too.
    decoder = SSEDecoder()
    bytewise = [sse for i in range(len(wire)) for sse in decoder.feed(wire[i : i + 1])]
    assert [decode_stream_event(sse) for sse in bytewise] == events


def test_encode_sse_keeps_ids_and_unknown_events() -> None:
    """``id`` is the stream's last event id (it carries over to later events, as in
    WHATWG SSE), and an event name the SDK does not know passes through."""
    events = [
        StreamEvent("text", {"chunk": "a"}, id="1"),
        StreamEvent("future_event", {"nested": {"x": [1, 2]}, "s": "é\n"}, id="1"),
        StreamEvent("done", {}, id="2"),
    ]
    decoder = SSEDecoder()
    wire = b"".join(encode_sse(event) for event in events)
    assert [decode_stream_event(sse) for sse in decoder.feed(wire)] == events


def test_sdk_through_the_relay_sees_the_agents_stream(
    emulator: EmulatorServer, relay_url: str
) -> None:
    parameters = {"question": "How do I reset my password?"}
    with _client(emulator, emulator.base_url) as direct_client:
        direct = list(direct_client.stream("support-agent", parameters=parameters))
    with _client(emulator, relay_url) as relayed_client:
        stream = relayed_client.stream("support-agent", parameters=parameters)
        relayed = list(stream)
        result = stream.final_result
    assert [_shape(e) for e in relayed] == [_shape(e) for e in direct]
    texts = [[e.data for e in events if e.event == "text"] for events in (relayed, direct)]
    assert texts[0] == texts[1]
    assert result is not None
    assert result.response.startswith("[rev 3] Turn 1: I found 3 knowledge-base articles")
    assert result.execution_record_id == relayed[-1].data["executionRecordId"]


def test_agent_error_is_relayed_and_raised_downstream(
    emulator: EmulatorServer, relay_url: str
) -> None:
    seen: list[str] = []
    with _client(emulator, relay_url) as client:
        failing = client.with_options(headers={FAULT_HEADER: "error_after=2"})
        stream = failing.stream("echo-agent")
        with pytest.raises(FruxonStreamError) as raised:
            seen.extend(event.event for event in stream)
    assert seen == ["status", "text", "error"]
    assert raised.value.code == "emulator_fault"


def test_consumer_leaving_the_relay_cancels_the_upstream_stream(
    emulator: EmulatorServer, relay_url: str
) -> None:
    message = " ".join(f"word{i}" for i in range(200))  # ~10 s at 50 ms a word
    client = _client(emulator, relay_url)
    with client, client.stream("slow-agent", parameters={"message": message}) as stream:
        for event in stream:
            if event.event == "text":
                break  # leaving the `with` block closes the connection to the relay
    deadline = time.monotonic() + 10
    while (streams := emulator.stats()["streams"])["clientDisconnects"] == 0:
        assert time.monotonic() < deadline, streams
        time.sleep(0.02)
    assert streams == {"open": 0, "started": 1, "completed": 0, "clientDisconnects": 1}
