"""Drive an async client from synchronous test code, so one test body serves both clients.

The async client lives on an event loop running in a background thread; each
coroutine the test calls is submitted there and waited for. Async iterators and
async context managers (streams, lazy pages) are wrapped into their sync
counterparts, so ``for event in client.stream(...)`` and ``with client.stream(...)``
read the same for both transports.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

T = TypeVar("T")


class LoopThread:
    """An event loop in a daemon thread; :meth:`run` executes a coroutine on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def stop(self) -> None:
        async def _drain() -> None:
            await asyncio.sleep(0.05)  # let transports finish closing

        self.run(_drain())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        self.loop.close()


@contextmanager
def event_loop_in_thread() -> Iterator[LoopThread]:
    loop = LoopThread()
    try:
        yield loop
    finally:
        loop.stop()


async def _await(value: Any) -> Any:
    return await value


class SyncFacade:
    """Presents an async object with a synchronous surface (see module docstring)."""

    def __init__(self, target: Any, loop: LoopThread) -> None:
        self._target = target
        self._loop = loop

    @property
    def wrapped(self) -> Any:
        """The async object behind the facade."""
        return self._target

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._adapt(attr(*args, **kwargs))

        return call

    def _adapt(self, result: Any) -> Any:
        if inspect.isawaitable(result):
            return self._adapt(self._loop.run(_await(result)))
        if hasattr(result, "__aiter__") or hasattr(result, "__aenter__"):
            return SyncIterator(result, self._loop)
        if type(result).__name__ == type(self._target).__name__ and result is not self._target:
            return SyncFacade(result, self._loop)
        return result

    def __enter__(self) -> SyncFacade:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SyncFacade({self._target!r})"


class SyncIterator(SyncFacade):
    """An async iterator / async context manager seen as a sync one."""

    def __init__(self, target: Any, loop: LoopThread) -> None:
        super().__init__(target, loop)
        self._iterator: Any = None

    def __iter__(self) -> SyncIterator:
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._iterator = self._target.__aiter__()
        try:
            return self._loop.run(_await(self._iterator.__anext__()))
        except StopAsyncIteration:
            raise StopIteration from None

    def __enter__(self) -> SyncIterator:
        self._loop.run(_await(self._target.__aenter__()))
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.run(_await(self._target.__aexit__(None, None, None)))

    def close(self) -> None:
        closer = getattr(self._target, "aclose", None)
        if closer is not None:
            self._loop.run(_await(closer()))
