"""examples/fastapi_relay.py: the lifespan client, the SSE relay, and disconnect propagation."""

from __future__ import annotations

import json
from collections.abc import Callable
from types import ModuleType
from typing import Any

import httpx
from fastapi.testclient import TestClient

from fruxon_core import SSEDecoder
from fruxon_emulator import EmulatorServer
from fruxon_requests import FruxonClient

Loader = Callable[[str], ModuleType]


def _decode(body: bytes) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    return [(e.event, e.data) for e in [*decoder.feed(body), *decoder.close()]]


def test_relay_forwards_the_agents_stream_unchanged(
    example: Loader, example_env: EmulatorServer
) -> None:
    relay = example("fastapi_relay.py")
    with TestClient(relay.app) as browser:  # runs the lifespan: one client for all requests
        assert "EventSource" in browser.get("/").text
        for n in range(3):
            reply = browser.get("/agents/echo-agent/stream", params={"message": f"hi {n}"})
            assert reply.status_code == 200
            assert reply.headers["content-type"].startswith("text/event-stream")
            events = _decode(reply.content)
            names = [name for name, _ in events]
            assert names[0] == "status"
            assert names[-1] == "done"
            text = "".join(json.loads(data)["chunk"] for name, data in events if name == "text")
            assert text == f"Echo (turn 1): hi {n}"
    assert example_env.stats()["streams"]["completed"] == 3


def test_relayed_bytes_decode_to_the_same_events_as_a_direct_stream(
    example: Loader, example_env: EmulatorServer
) -> None:
    """Same agent, same input: the relayed events equal the SDK's own, apart from ids/times."""
    relay = example("fastapi_relay.py")
    with TestClient(relay.app) as browser:
        relayed = _decode(browser.get("/agents/count-agent/stream", params={"count": "25"}).content)
    with FruxonClient(
        api_key=example_env.api_key, org=example_env.org, base_url=example_env.base_url
    ) as client:
        direct = list(client.stream("count-agent", parameters={"count": 25}))
    assert [name for name, _ in relayed] == [event.event for event in direct]
    relayed_text = [data for name, data in relayed if name == "text"]
    assert relayed_text == [f'{{"chunk":"tok{i} "}}' for i in range(25)]


def test_errors_before_the_stream_become_http_statuses(
    example: Loader, example_env: EmulatorServer
) -> None:
    relay = example("fastapi_relay.py")
    with TestClient(relay.app) as browser:
        assert browser.get("/agents/no-such-agent/stream").status_code == 404
        assert browser.get("/agents/support-agent/stream").status_code == 422  # no question


def test_agent_error_event_is_relayed_then_the_stream_ends(
    example: Loader, example_env: EmulatorServer
) -> None:
    relay = example("fastapi_relay.py")
    with TestClient(relay.app) as browser:
        # Swap in a clone of the app's client whose requests ask the emulator to end
        # the run with an `error` event after 3 events.
        client = relay.app.state.fruxon
        fault = {"X-Fruxon-Emulator-Fault": "error_after=3"}
        relay.app.state.fruxon = client.with_options(headers=fault)
        events = _decode(browser.get("/agents/echo-agent/stream").content)
        relay.app.state.fruxon = client
    assert [name for name, _ in events][-1] == "error"
    assert len(events) == 4


def test_execute_endpoint_supports_multi_turn(example: Loader, example_env: EmulatorServer) -> None:
    relay = example("fastapi_relay.py")
    with TestClient(relay.app) as browser:
        first = browser.post(
            "/agents/support-agent/execute",
            json={"parameters": {"question": "What's your return policy?"}},
        ).json()
        follow_up = browser.post(
            "/agents/support-agent/execute",
            json={
                "parameters": {"question": "What about international orders?"},
                "session_id": first["session_id"],
            },
        ).json()
    assert "Turn 1" in first["response"]
    assert "Turn 2" in follow_up["response"]
    assert "return policy" in follow_up["response"]
    assert follow_up["cost_usd"] > 0


def test_browser_disconnect_cancels_the_upstream_stream(
    example: Loader, example_env: EmulatorServer, helpers: Any
) -> None:
    """A real uvicorn server: the browser reads one text event and leaves; the emulator sees
    the service close the upstream stream long before the agent finished."""
    relay = example("fastapi_relay.py")
    message = " ".join(f"word{i}" for i in range(200))  # 50 ms per word: ~10 s of stream
    with helpers.serve_asgi(relay.app) as url:
        with httpx.stream(
            "GET", f"{url}/agents/slow-agent/stream", params={"message": message}, timeout=10
        ) as reply:
            assert reply.status_code == 200
            for line in reply.iter_lines():
                if line == "event: text":
                    break
        assert helpers.wait_for(lambda: example_env.stats()["streams"]["clientDisconnects"] == 1)
        stats = example_env.stats()["streams"]
        assert stats == {"open": 0, "started": 1, "completed": 0, "clientDisconnects": 1}
