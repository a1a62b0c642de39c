"""AsyncFruxonClient lifecycle and pipeline behaviour that only the async client has."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Mapping
from typing import Any

import aiohttp
import pytest

from fruxon_aiohttp import AsyncFruxonClient, ClientClosedError, EventLoopMismatchError
from fruxon_core import hookimpl
from fruxon_core.exceptions import FruxonError, NotFoundError
from fruxon_core.plugins import RetryPolicy
from fruxon_emulator import FAULT_HEADER, EmulatorServer

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]


def test_client_is_built_outside_a_loop_and_creates_its_session_lazily(
    arun: Run, make_async_client: Make
) -> None:
    client = make_async_client(connector_limit=7)  # no running loop here
    assert client.session is None

    async def main() -> None:
        result = await client.execute("echo-agent", parameters={"message": "hi"})
        assert result.response == "Echo (turn 1): hi"
        session = client.session
        assert session is not None
        assert not session.closed
        assert session.connector is not None
        assert session.connector.limit == 7
        await client.get_agent("echo-agent")
        assert client.session is session  # reused across calls
        await client.close()
        assert session.closed
        await client.close()  # idempotent

    arun(main())


def test_async_with_closes_the_session(arun: Run, make_async_client: Make) -> None:
    async def main() -> aiohttp.ClientSession:
        async with make_async_client() as client:
            await client.list_agents()
            session = client.session
            assert session is not None
        return session

    assert arun(main()).closed


def test_a_session_passed_in_is_used_and_never_closed(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        async with aiohttp.ClientSession() as session:
            async with make_async_client(session=session) as client:
                assert client.session is session
                await client.execute("echo-agent")
                async for _ in client.stream("count-agent", parameters={"count": 1}):
                    pass
                clone = client.with_options(max_retries=0)
                await clone.get_agent("echo-agent")
                await clone.close()
            assert not session.closed
            await client.close()
            assert not session.closed
            await client.get_agent("echo-agent")  # still usable: the session is the caller's
        assert session.closed

    arun(main())
    assert emulator.stats()["requests"]["total"] == 4


def test_with_options_shares_the_session(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        client = make_async_client()
        clone = client.with_options(timeout=3.0, max_retries=0, headers={"X-Extra": "1"})
        assert isinstance(clone, AsyncFruxonClient)
        assert clone is not client
        await clone.execute("echo-agent")  # the clone creates the shared session
        assert client.session is clone.session is not None
        await clone.close()  # a clone never closes the shared session
        assert not client.session.closed
        await client.execute("echo-agent")
        await client.close()
        assert clone.session is None

    arun(main())


def test_a_closed_client_raises_a_clear_error(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        client = make_async_client()
        await client.get_agent("echo-agent")
        await client.close()
        with pytest.raises(ClientClosedError, match="closed"):
            await client.get_agent("echo-agent")
        with pytest.raises(ClientClosedError):
            async for _ in client.stream("echo-agent"):
                pass

    arun(main())


def test_using_one_client_from_two_loops_raises(
    arun: Run, make_async_client: Make, leak_reports: Any
) -> None:
    outcome: list[BaseException] = []

    def other_thread(client: AsyncFruxonClient) -> None:
        async def use() -> None:
            try:
                await client.execute("echo-agent")
            except BaseException as exc:
                outcome.append(exc)
            try:
                async for _ in client.stream("echo-agent"):
                    pass
            except BaseException as exc:
                outcome.append(exc)

        leak_reports.run_on(leak_reports.new_loop(), use())

    async def main() -> None:
        async with make_async_client() as client:
            await client.execute("echo-agent")
            thread = threading.Thread(target=other_thread, args=(client,))
            thread.start()
            await asyncio.get_running_loop().run_in_executor(None, thread.join, 10)
            assert not thread.is_alive(), "the second loop hung"
            await client.execute("echo-agent")  # the first loop is unaffected

    arun(main())
    assert len(outcome) == 2
    for error in outcome:
        assert isinstance(error, EventLoopMismatchError)
        assert isinstance(error, FruxonError)
        assert isinstance(error, RuntimeError)
        assert "event loop" in str(error)


def test_a_passed_in_session_binds_the_client_to_its_loop(
    arun: Run, make_async_client: Make, leak_reports: Any
) -> None:
    async def make_session() -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    loop = leak_reports.new_loop()
    session = loop.run_until_complete(make_session())
    try:
        client = make_async_client(session=session)
        with pytest.raises(EventLoopMismatchError):
            arun(client.get_agent("echo-agent"))
        assert loop.run_until_complete(client.get_agent("echo-agent")).id == "echo-agent"
    finally:
        leak_reports.run_on(loop, session.close())


class AsyncHeaderPlugin:
    """A prepare hook whose result is awaitable: the async client awaits it."""

    def __init__(self, headers: Mapping[str, str]) -> None:
        self.headers = headers
        self.seen: list[Mapping[str, str]] = []

    @hookimpl
    def fruxon_prepare_request(self, request: Any, context: Any) -> Any:
        async def headers() -> Mapping[str, str]:
            await asyncio.sleep(0)
            return self.headers

        return headers()

    @hookimpl
    def fruxon_on_request(self, request: Any, context: Any) -> None:
        self.seen.append(dict(request.headers))


def test_awaitable_prepare_hooks_are_awaited(arun: Run, make_async_client: Make) -> None:
    plugin = AsyncHeaderPlugin({FAULT_HEADER: "status=404"})

    async def main() -> None:
        async with make_async_client(plugins=[plugin]) as client:
            # The header only reaches the server if the coroutine was awaited.
            with pytest.raises(NotFoundError, match="Injected fault"):
                await client.get_agent("echo-agent")
            with pytest.raises(NotFoundError):
                async for _ in client.stream("echo-agent"):
                    pass
        assert all(seen[FAULT_HEADER] == "status=404" for seen in plugin.seen)

    arun(main())


def test_async_token_provider(arun: Run, make_async_client: Make, emulator: EmulatorServer) -> None:
    calls: list[int] = []

    async def provider() -> str:
        calls.append(1)
        return emulator.api_key

    async def main() -> None:
        async with make_async_client(api_key=None, auth=provider) as client:
            await client.get_agent("echo-agent")
            await client.get_agent("echo-agent")
        assert calls == [1]

    arun(main())


def test_retry_waits_without_blocking_the_loop(
    arun: Run, make_async_client: Make, emulator: EmulatorServer
) -> None:
    async def main() -> None:
        retry = RetryPolicy(initial_delay=0.1, jitter=0.0)
        async with make_async_client(retry=retry) as client:
            ticks = 0

            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            faulty = client.with_options(headers={FAULT_HEADER: "status=503; times=2"})
            result = await faulty.execute("echo-agent")
            task.cancel()
            assert result.retries == 2
            assert ticks >= 10  # 0.1 s + 0.2 s of backoff were spent in asyncio.sleep

    arun(main())
    assert emulator.stats()["requests"]["byAgent"]["echo-agent"] == 3


def test_lists_and_lazy_pages(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            agents = await client.list_agents()
            lazy = [agent async for agent in client.iter_agents()]
            assert [a.id for a in agents] == [a.id for a in lazy]
            assert "echo-agent" in {a.id for a in agents}
            integrations = await client.list_integrations()
            assert {i.id for i in integrations} >= {"github", "knowledge-base"}
            tools = [t.id async for t in client.iter_tools("github")]
            assert tools == [t.id for t in await client.list_tools("github")]
            pages = client.iter_integrations()
            first = await pages.__anext__()
            assert first.id
            await pages.aclose()  # type: ignore[attr-defined]

    arun(main())


def test_repr_shows_no_secret(make_async_client: Make, emulator: EmulatorServer) -> None:
    client = make_async_client()
    assert emulator.api_key not in repr(client)
    assert "AsyncFruxonClient(org=" in repr(client)
