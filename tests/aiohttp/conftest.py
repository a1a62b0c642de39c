"""Fixtures for the async client's own tests: event loops that fail the test on leaks.

There is no pytest-asyncio: a test takes ``arun`` and calls ``arun(coro)``,
which runs the coroutine on a fresh loop whose exception handler records
everything asyncio and aiohttp report there ("Unclosed client session",
"Unclosed connection", "Task was destroyed but it is pending", ...). The
autouse ``no_leaks`` fixture collects garbage after the test, so ``__del__``
warnings fire while the test still owns them, and fails the test if anything
was reported. ResourceWarnings raised in ``__del__`` reach pytest as
unraisable exceptions, which this directory turns into errors as well.
"""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_emulator import EmulatorServer

T = TypeVar("T")


class LeakReports:
    """What loops reported to their exception handlers during one test."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.loops_made = 0

    def handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        message = str(context.get("message", ""))
        exception = context.get("exception")
        if exception is not None:
            message = f"{message}: {exception!r}"
        self.messages.append(message)

    @staticmethod
    def run_on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
        return run_on(loop, coro)

    def new_loop(self) -> asyncio.AbstractEventLoop:
        loop = asyncio.new_event_loop()
        loop.set_exception_handler(self.handler)
        self.loops_made += 1
        return loop


def run_on(loop: asyncio.AbstractEventLoop, coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on ``loop``, then shut the loop down like asyncio.run."""
    try:
        return loop.run_until_complete(coro)
    finally:
        try:
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            if pending:
                gathered = asyncio.gather(*pending, return_exceptions=True)
                loop.run_until_complete(gathered)
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.run_until_complete(asyncio.sleep(0.01))  # let closed transports finish
        finally:
            loop.close()


@pytest.fixture(autouse=True)
def leak_reports() -> Iterator[LeakReports]:
    reports = LeakReports()
    yield reports
    if reports.loops_made:
        gc.collect()
    assert not reports.messages, f"the event loop reported leaks/errors: {reports.messages}"


@pytest.fixture
def arun(leak_reports: LeakReports) -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """``arun(coro)``: like ``asyncio.run``, on a loop that records leak reports."""

    def run(coro: Coroutine[Any, Any, T]) -> T:
        return run_on(leak_reports.new_loop(), coro)

    return run


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Unraisable exceptions (e.g. a ResourceWarning raised in ``__del__``) fail our tests."""
    for item in items:
        if "tests/aiohttp/" in item.nodeid.replace("\\", "/"):
            item.add_marker(
                pytest.mark.filterwarnings("error::pytest.PytestUnraisableExceptionWarning")
            )


@pytest.fixture
def make_async_client(emulator: EmulatorServer) -> Callable[..., AsyncFruxonClient]:
    """Build an AsyncFruxonClient for the (reset) emulator; the test closes it."""

    def make(**overrides: Any) -> AsyncFruxonClient:
        options: dict[str, Any] = {
            "api_key": emulator.api_key,
            "org": emulator.org,
            "base_url": emulator.base_url,
            "timeout": 10.0,
            "load_entrypoints": False,
        }
        options.update(overrides)
        return AsyncFruxonClient(**options)

    return make
