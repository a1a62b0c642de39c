"""``HttpxTransport`` and ``AsyncHttpxTransport``: what differs from :mod:`._async_base`
(sending and reading): a sync client renewed after ``fork()``, an async one bound to a loop."""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx

from fruxon_core.exceptions import ClientClosedError, EventLoopMismatchError
from fruxon_core.http import BodyStream, Request

from ._async_base import UNBOUNDED, AsyncStreamBase, AsyncTransportBase
from ._shared import current_loop
from ._sync_base import StreamBase, TransportBase

__all__ = ["AsyncHttpxTransport", "HttpxTransport"]


class HttpxStreamResponse(StreamBase):
    """An open streamed response; :meth:`close` wakes up a read waiting in another thread."""

    def close(self) -> None:
        get = getattr(self._network, "get_extra_info", None)
        mine = not self._eof and self._response.http_version != "HTTP/2"  # not shared, not pooled
        sock = get("socket") if get is not None and mine else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._response.close()  # (the body's generator may be running in another thread)


class HttpxTransport(TransportBase[HttpxStreamResponse]):
    """Sends :class:`Request` values with one pooled ``httpx.Client`` (a caller's as it is).

    One transport serves every thread: httpcore's pool is thread-safe and no
    state is written per call. On its first use after a ``fork()`` its own
    client is replaced and a caller's gets empty pools, so a child never uses
    the sockets it inherited. ``http2=True`` needs the ``h2`` extra.
    """

    _stream = HttpxStreamResponse
    _session: httpx.Client

    @property
    def session(self) -> httpx.Client:
        """The client for this process: renewed on first use after a fork."""
        if self._pid != os.getpid():
            if self._owns_session:
                self._session = httpx.Client(**self._options)  # the parent's is dropped
            else:
                _renew_pools(self._session)
            self._pid = os.getpid()
        return self._session

    def _client(self) -> httpx.Client:
        if self._closed:
            raise ClientClosedError("this FruxonClient is closed")
        return self.session

    def _content(self, body: bytes | BodyStream | None) -> bytes | Iterator[bytes] | None:
        return body.chunks() if isinstance(body, BodyStream) else body  # chunked, if no length

    def sleep(self, seconds: float) -> None:
        time.sleep(max(seconds, 0.0))

    def close(self) -> None:
        """Close the client and its pooled connections (a caller's client is left open)."""
        self._closed = True
        if self._owns_session:
            self.session.close()


def _renew_pools(client: httpx.Client) -> None:
    """Give a caller's client empty connection pools (after a fork) -- replaced, not closed:
    closing takes a pool's lock, which a thread of the parent may have held at the fork."""
    mounts = getattr(client, "_mounts", {})
    for transport in [getattr(client, "_transport", None), *mounts.values()]:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_connections"):
            pool._connections = []
            pool._requests = []
            pool._optional_thread_lock = type(pool._optional_thread_lock)()


# -- async ---------------------------------------------------------------------------------

#: Close tasks started by a synchronous ``close()``, kept referenced until they finish.
_CLOSING: set[asyncio.Task[None]] = set()


class AsyncHttpxStreamResponse(AsyncStreamBase):
    """An open streamed response of the event loop (or trio run) it was opened in."""

    def __init__(self, response: httpx.Response, request: Request) -> None:
        super().__init__(response, request)
        self._loop = current_loop()

    def close(self) -> None:
        """Close the connection now, from any thread, more than once: httpx closes by awaiting,
        so this starts that as a task of the response's loop (a system task under trio)."""
        if not self._closed:
            self._closed = True
            _call_soon(self._loop, lambda: _start_task(self._loop, self._release))


def _call_soon(loop: Any, callback: Callable[[], object]) -> bool:
    """Have ``loop`` (an asyncio loop or a trio token) call ``callback()`` soon, from any
    thread; ``False`` when that loop or run has ended (its sockets went with it)."""
    try:
        if isinstance(loop, asyncio.AbstractEventLoop):
            loop.call_soon_threadsafe(callback)
        else:
            loop.run_sync_soon(callback)
    except RuntimeError:  # a closed loop; trio.RunFinishedError
        return False
    return True


def _start_task(loop: Any, job: Callable[[], Awaitable[None]]) -> None:
    """Start ``job()`` in ``loop``, from inside it; its errors are dropped (it closes things)."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        task = loop.create_task(_quietly(job))
        _CLOSING.add(task)
        task.add_done_callback(_CLOSING.discard)
    else:
        with contextlib.suppress(RuntimeError):  # the run is ending: it takes no new task
            sys.modules["trio"].lowlevel.spawn_system_task(_quietly, job)


async def _quietly(job: Callable[[], Awaitable[None]]) -> None:
    with contextlib.suppress(Exception):
        await job()


class AsyncHttpxTransport(AsyncTransportBase[AsyncHttpxStreamResponse]):
    """Sends :class:`Request` values with one ``httpx.AsyncClient`` (a caller's as it is).

    It belongs to the event loop (or trio run) it was first used in: a call
    from another raises :class:`EventLoopMismatchError` at once instead of
    failing inside the connection pool. ``http2=True`` needs the ``h2`` extra.
    """

    _stream = AsyncHttpxStreamResponse
    _loop: Any = None

    @property
    def session(self) -> httpx.AsyncClient | None:
        """The client in use; ``None`` after ``aclose()``."""
        return self._session

    def _client(self) -> httpx.AsyncClient:
        loop, session = current_loop(), self._session
        if session is None:
            raise ClientClosedError("this AsyncFruxonClient is closed")
        if loop is not self._loop:
            if self._loop is not None:
                raise EventLoopMismatchError.bound_elsewhere("httpx.AsyncClient")
            self._loop = loop
        return session

    def _content(self, body: bytes | BodyStream | None) -> bytes | AsyncIterator[bytes] | None:
        return body.achunks(anyio.to_thread.run_sync) if isinstance(body, BodyStream) else body

    def _bounded(self, seconds: float | None) -> Any:
        """A cancel scope: the whole attempt, connecting included."""
        return UNBOUNDED if seconds is None else anyio.fail_after(seconds)

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    async def aclose(self) -> None:
        """Close the client if this transport created it; a caller's client is left open."""
        self._closed = True
        session, self._session = self._session, None
        loop = self._loop
        if session is None or not self._owns_session:
            return
        if loop is not None and current_loop() is not loop:
            if _call_soon(loop, lambda: None):  # that loop still runs: close it there
                self._session, self._closed = session, False
                raise EventLoopMismatchError.closing_elsewhere()
            if isinstance(loop, asyncio.AbstractEventLoop):
                return  # a closed loop: its sockets went with it (trio's belong to no run)
        await session.aclose()
