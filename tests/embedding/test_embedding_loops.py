"""AsyncFruxonClient and event loops: made in a lifespan, used by every request; a wrong loop
fails at once with a clear message instead of hanging."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient

from fruxon_core.exceptions import EventLoopMismatchError, FruxonError
from fruxon_emulator import EmulatorServer
from tests.registry import TRANSPORTS, TransportCase

#: Every async client of the registry (one AsyncFruxonClient per transport package).
ASYNC_CASES = [case for case in TRANSPORTS if case.is_async]

AsyncFruxonClient = Any

WRONG_LOOP = "bound to another event loop"


@pytest.fixture(params=ASYNC_CASES, ids=lambda case: case.name)
def case(request: pytest.FixtureRequest) -> TransportCase:
    return request.param  # type: ignore[no-any-return]


def make_app(case: TransportCase, emulator: EmulatorServer, seen: dict[str, Any]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with case.client_class()(
            api_key=emulator.api_key,
            org=emulator.org,
            base_url=emulator.base_url,
            load_entrypoints=False,
        ) as client:
            app.state.fruxon = client
            seen["client"] = client
            seen["lifespan_loop"] = asyncio.get_running_loop()
            yield

    app = FastAPI(lifespan=lifespan)

    @app.get("/echo/{message}")
    async def echo(message: str, request: Request) -> dict[str, Any]:
        client: AsyncFruxonClient = request.app.state.fruxon
        seen.setdefault("request_loops", set()).add(asyncio.get_running_loop())
        result = await client.execute("echo-agent", parameters={"message": message})
        text = "".join(
            [c async for c in client.stream_text("echo-agent", parameters={"message": message})]
        )
        return {"response": result.response, "streamed": text}

    return app


def test_client_from_lifespan_serves_every_request(
    case: TransportCase, fruxon_emulator: EmulatorServer
) -> None:
    seen: dict[str, Any] = {}
    with TestClient(make_app(case, fruxon_emulator, seen)) as http:
        for n in range(10):
            body = http.get(f"/echo/m{n}").json()
            assert body == {"response": f"Echo (turn 1): m{n}", "streamed": f"Echo (turn 1): m{n}"}
    assert seen["request_loops"] == {seen["lifespan_loop"]}
    assert seen["client"].session is None  # closed with the lifespan


def test_concurrent_requests_on_a_real_server(
    case: TransportCase, fruxon_emulator: EmulatorServer
) -> None:
    """uvicorn on a free port, 40 requests at once: all share the lifespan's client."""
    seen: dict[str, Any] = {}
    server = uvicorn.Server(
        uvicorn.Config(
            make_app(case, fruxon_emulator, seen), host="127.0.0.1", port=0, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert thread.is_alive()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    url = f"http://127.0.0.1:{server.servers[0].sockets[0].getsockname()[1]}"

    async def burst() -> list[dict[str, Any]]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as http:
            replies = await asyncio.gather(*(http.get(f"/echo/c{n}") for n in range(40)))
        return [reply.json() for reply in replies]

    try:
        bodies = asyncio.run(burst())
    finally:
        server.should_exit = True
        thread.join(20)
    assert bodies == [
        {"response": f"Echo (turn 1): c{n}", "streamed": f"Echo (turn 1): c{n}"} for n in range(40)
    ]
    assert seen["request_loops"] == {seen["lifespan_loop"]}


def _fails_fast(make_coro: Callable[[], Coroutine[Any, Any, Any]]) -> BaseException:
    """Run a coroutine on a brand-new loop in a helper thread; return what it raised.

    The thread is joined with a timeout, so a hang fails the test instead of
    blocking the suite.
    """
    outcome: list[BaseException] = []

    def run() -> None:
        try:
            asyncio.run(make_coro())
        except BaseException as exc:
            outcome.append(exc)

    started = time.monotonic()
    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(10)
    assert not worker.is_alive(), "the call hung on the wrong event loop"
    assert time.monotonic() - started < 2
    assert outcome, "the call from another loop did not fail"
    return outcome[0]


def test_use_from_another_loop_fails_with_a_clear_message(
    case: TransportCase, fruxon_emulator: EmulatorServer
) -> None:
    seen: dict[str, Any] = {}
    with TestClient(make_app(case, fruxon_emulator, seen)) as http:
        assert http.get("/echo/bind").status_code == 200  # session now bound to the app's loop
        client: AsyncFruxonClient = seen["client"]

        async def execute() -> None:
            await client.execute("echo-agent", parameters={"message": "x"})

        async def stream() -> None:
            async for _ in client.stream("echo-agent"):
                pass

        async def list_agents() -> None:
            await client.list_agents()

        for attempt in (execute, stream, list_agents):
            error = _fails_fast(attempt)
            assert isinstance(error, EventLoopMismatchError)
            assert isinstance(error, FruxonError)  # one `except FruxonError` catches it
            assert WRONG_LOOP in str(error)
            assert "one client per event loop" in str(error)

        # The app's own loop still works after the failed foreign calls.
        assert http.get("/echo/after").json()["response"] == "Echo (turn 1): after"


def test_client_made_outside_any_loop_binds_to_the_first(
    case: TransportCase, fruxon_emulator: EmulatorServer
) -> None:
    """A module-level client is fine: the session is created in the first loop that uses it;
    a second ``asyncio.run`` then gets the clear error, never a hang."""
    client = case.client_class()(
        api_key=fruxon_emulator.api_key,
        org=fruxon_emulator.org,
        base_url=fruxon_emulator.base_url,
        load_entrypoints=False,
    )
    first_loop: list[asyncio.AbstractEventLoop] = []

    async def first() -> str:
        first_loop.append(asyncio.get_running_loop())
        return (await client.execute("echo-agent", parameters={"message": "one"})).response

    loop = asyncio.new_event_loop()
    try:
        assert loop.run_until_complete(first()) == "Echo (turn 1): one"
        error = _fails_fast(lambda: client.execute("echo-agent"))
        assert isinstance(error, EventLoopMismatchError)
    finally:
        loop.run_until_complete(client.close())
        loop.close()


def test_closed_client_says_so(case: TransportCase, fruxon_emulator: EmulatorServer) -> None:
    async def scenario() -> None:
        client = case.client_class()(
            api_key=fruxon_emulator.api_key,
            org=fruxon_emulator.org,
            base_url=fruxon_emulator.base_url,
            load_entrypoints=False,
        )
        await client.execute("echo-agent")
        await client.close()
        with pytest.raises(FruxonError, match="closed"):
            await client.execute("echo-agent")

    asyncio.run(scenario())
