"""``HttpxTransport`` and ``AsyncHttpxTransport``: the transport contract on httpx.

Sending and reading are :mod:`fruxon_httpx._async_base`'s (the sync side is
generated from it); this module adds what differs: a sync client shared by
threads and renewed after ``fork()``, an async one bound to one event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import anyio
import httpx

from fruxon_core.exceptions import ClientClosedError, EventLoopMismatchError
from fruxon_core.http import BodyStream, Request
from fruxon_core.tls import TLSSettings

from ._async_base import UNBOUNDED, AsyncStreamBase, AsyncTransportBase
from ._shared import client_options, current_loop, new_client
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

    **Threads.** One transport serves all the threads of a service:
    httpcore's pool is thread-safe, and no state is written per call
    (headers, auth and timeouts travel with each request; the client it
    creates refuses cookies). **Processes.** A forked child must not use the
    sockets it inherited: on its first use in a new process the transport's
    own client is replaced, a caller's client gets empty pools.
    ``http2=True`` needs the ``h2`` extra: ``pip install 'fruxon-httpx[h2]'``.
    """

    _stream = HttpxStreamResponse

    def __init__(
        self,
        session: httpx.Client | None = None,
        *,
        connector_limit: int = 100,
        http2: bool = False,
        tls: TLSSettings | None = None,
    ) -> None:
        self._options = client_options(session, connector_limit, http2, tls)
        self._owns_session = session is None
        self._session = new_client(httpx.Client, self._options) if session is None else session
        self._pid = os.getpid()
        self._closed = False

    @property
    def session(self) -> httpx.Client:
        """The client for this process: renewed on first use after a fork."""
        if self._pid != os.getpid():
            if self._owns_session:
                self._session = new_client(httpx.Client, self._options)  # the parent's is dropped
            else:
                _renew_pools(self._session)
            self._pid = os.getpid()
        return self._session

    def _client(self) -> httpx.Client:
        return self.session

    def check_usable(self) -> None:
        if self._closed:
            raise ClientClosedError("this FruxonClient is closed")

    def _content(self, body: bytes | BodyStream | None) -> bytes | Iterator[bytes] | None:
        return body.chunks() if isinstance(body, BodyStream) else body  # chunked, if no length

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def close(self) -> None:
        """Close the client and its pooled connections (a caller's client is left open)."""
        self._closed = True
        if self._owns_session:
            self.session.close()


def _renew_pools(client: httpx.Client) -> None:
    """Give a caller's client empty connection pools (after a fork) -- replaced, not closed:
    closing takes a pool's lock, which a thread of the parent may have held at the fork."""
    for transport in [
        getattr(client, "_transport", None),
        *getattr(client, "_mounts", {}).values(),
    ]:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_connections"):
            pool._connections = []
            pool._requests = []
            pool._optional_thread_lock = type(pool._optional_thread_lock)()


# -- async ---------------------------------------------------------------------------------

WRONG_LOOP = (
    "this AsyncFruxonClient is bound to another event loop: its httpx.AsyncClient was first "
    "used on a different loop (or trio run). Create one client per event loop (e.g. per "
    "asyncio.run() or trio.run() call, or per thread)."
)

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
            _spawn(self._loop, self._release)


async def _quietly(job: Callable[[], Awaitable[None]]) -> None:
    with contextlib.suppress(Exception):
        await job()


def _spawn(loop: Any, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job()`` soon as a task of ``loop`` (an asyncio loop or trio token), from any thread."""
    if isinstance(loop, asyncio.AbstractEventLoop):

        def start() -> None:
            task = loop.create_task(_quietly(job))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)

        schedule, ended = loop.call_soon_threadsafe, RuntimeError  # closed: sockets gone too
    else:
        import trio

        def start() -> None:
            with contextlib.suppress(RuntimeError):  # the run is ending: it takes no new task
                trio.lowlevel.spawn_system_task(_quietly, job)

        schedule, ended = loop.run_sync_soon, trio.RunFinishedError
    with contextlib.suppress(ended):
        schedule(start)


def _run_finished(loop: Any) -> bool:
    """Whether ``loop`` is a trio run's token and the run ended (its sockets belong to no run)."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        return False
    import trio

    try:
        loop.run_sync_soon(lambda: None)
    except trio.RunFinishedError:
        return True
    return False


async def _upload_chunks(body: BodyStream) -> AsyncIterator[bytes]:
    """The body's pieces, each read in a worker thread so disk reads never block the loop."""
    chunks = body.chunks()
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
            yield chunk
    finally:
        with contextlib.suppress(AttributeError, ValueError):  # still running: GC closes it
            chunks.close()  # type: ignore[attr-defined]


class AsyncHttpxTransport(AsyncTransportBase[AsyncHttpxStreamResponse]):
    """Sends :class:`Request` values with one ``httpx.AsyncClient``, its own made on first use.

    The transport belongs to the event loop (or trio run) it was first used
    in: a call from another raises :class:`EventLoopMismatchError` at once
    instead of failing inside the connection pool. ``http2=True`` needs the
    ``h2`` extra: ``pip install 'fruxon-httpx[h2]'``.
    """

    _stream = AsyncHttpxStreamResponse

    def __init__(
        self,
        session: httpx.AsyncClient | None = None,
        *,
        connector_limit: int = 100,
        http2: bool = False,
        tls: TLSSettings | None = None,
    ) -> None:
        self._options = client_options(session, connector_limit, http2, tls)
        self._session = session
        self._owns_session = session is None
        self._loop: Any = None
        self._closed = False

    @property
    def session(self) -> httpx.AsyncClient | None:
        """The client in use, or ``None`` before the first request (and after ``aclose()``)."""
        return self._session

    def check_usable(self) -> None:
        self._client()

    def _client(self) -> httpx.AsyncClient:
        loop = current_loop()
        if self._session is not None and loop is self._loop:
            return self._session
        if self._closed:
            raise ClientClosedError("this AsyncFruxonClient is closed")
        if self._loop is not None and loop is not self._loop:
            raise EventLoopMismatchError(WRONG_LOOP)
        self._loop = loop
        if self._session is None:
            self._session = new_client(httpx.AsyncClient, self._options)
        return self._session

    def _content(self, body: bytes | BodyStream | None) -> bytes | AsyncIterator[bytes] | None:
        return _upload_chunks(body) if isinstance(body, BodyStream) else body

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
        if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed():
            return  # its sockets went with it
        if loop is not None and current_loop() is not loop and not _run_finished(loop):
            self._session, self._closed = session, False
            raise EventLoopMismatchError(
                "close() must run on the event loop the client was used on"
            )
        await session.aclose()
