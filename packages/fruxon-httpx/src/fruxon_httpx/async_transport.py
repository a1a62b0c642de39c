"""``AsyncHttpxTransport``: the transport contract on ``httpx.AsyncClient``, for asyncio and trio.

The async twin of :mod:`fruxon_httpx.transport`. Waiting (retry sleeps, the
total deadline of a call) goes through anyio, so the client runs under
asyncio and trio alike. The ``httpx.AsyncClient`` is created on first use and
the transport remembers the event loop (or trio run) it was first used in: a
call from any other loop raises :class:`EventLoopMismatchError` at once
instead of failing somewhere inside the connection pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import anyio
import httpx

from fruxon_core.exceptions import ClientClosedError, EventLoopMismatchError
from fruxon_core.http import BodyStream, Request, Response
from fruxon_core.sse import ServerSentEvent, SSEDecoder
from fruxon_core.tls import TLSSettings

from ._shared import (
    TRANSPORT_ERRORS,
    AsyncTimedRead,
    current_loop,
    current_task,
    failure,
    headers_of,
    httpx_timeout,
    map_transport_error,
    near,
    new_client_options,
    refuse_cookies,
)
from .transport import FINISH_WAIT_S

__all__ = ["AsyncHttpxStreamResponse", "AsyncHttpxTransport"]

WRONG_LOOP = (
    "this AsyncFruxonClient is bound to another event loop: its httpx.AsyncClient was first "
    "used on a different loop (or trio run). Create one client per event loop (e.g. per "
    "asyncio.run() or trio.run() call, or per thread)."
)

#: Close tasks started by a synchronous ``close()``, kept referenced until they finish.
_CLOSING: set[asyncio.Task[None]] = set()


class AsyncHttpxStreamResponse:
    """An open streamed response; see :class:`~fruxon_httpx.transport.HttpxStreamResponse`."""

    __slots__ = (
        "_chunks",
        "_closed",
        "_decoder",
        "_eof",
        "_limit",
        "_loop",
        "_network",
        "_response",
        "headers",
        "reason",
        "request",
        "status",
    )

    def __init__(self, response: httpx.Response, request: Request, loop: object) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers = headers_of(response)
        self._decoder = SSEDecoder()
        self._chunks: AsyncIterator[bytes] | None = None
        self._limit = request.timeout.head_read(True)
        self._network: Any = response.extensions.get("network_stream")
        self._loop = loop
        self._eof = False
        self._closed = False

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    async def read_all(self) -> Response:
        """Read the rest of the body (error statuses), bounded as a whole by the head's limit."""
        try:
            with anyio.fail_after(self._limit):
                body = await self._response.aread()
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc, self.request) from exc
        finally:
            await self._aclose()
        return Response(self.status, self.headers, body, self.request, self.reason)

    async def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        if self._eof:
            return None
        chunk = await self._read(timeout)
        if chunk:
            return self._decoder.feed(chunk)
        self._eof = True
        return self._decoder.close()

    async def read_bytes(self, timeout: float | None) -> bytes | None:
        """The next piece of the body as it arrived, ``None`` at its end (downloads)."""
        if self._eof:
            return None
        chunk = await self._read(timeout)
        if chunk:
            return chunk
        self._eof = True
        return None

    async def _read(self, timeout: float | None) -> bytes:
        chunks = self._chunks
        if chunks is None:
            response = self._response
            encoded = "content-encoding" in self.headers
            chunks = response.aiter_bytes() if encoded else response.aiter_raw()
            self._chunks = chunks
        try:
            return await self._next(chunks, timeout)
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc, self.request) from exc

    async def _next(self, chunks: AsyncIterator[bytes], timeout: float | None) -> bytes:
        try:
            if timeout is None or near(timeout, self._limit):
                return await chunks.__anext__()
            timed = AsyncTimedRead(current_task(), time.monotonic() + timeout)
            if not timed.install(self._network):  # not an httpcore connection: a cancel scope
                with anyio.fail_after(timeout):
                    return await chunks.__anext__()
            try:
                return await chunks.__anext__()
            finally:
                timed.remove(self._network)
        except StopAsyncIteration:
            return b""

    async def finish(self) -> None:
        """After the terminal event: pool the connection if the body's end is there, else close."""
        if not self._eof and self._chunks is not None and self._network is not None:
            try:  # nothing should follow the terminal event: whatever does is dropped
                if await self._next(self._chunks, FINISH_WAIT_S):
                    await self._next(self._chunks, FINISH_WAIT_S)
            except TRANSPORT_ERRORS:
                pass  # not there in time: the connection is closed below
        self._eof = True
        await self._aclose()

    async def _aclose(self) -> None:
        """Close the body's generators (trio wants async generators closed) and the response."""
        self._closed = True
        chunks, self._chunks = self._chunks, None
        try:
            if chunks is not None:
                await chunks.aclose()  # type: ignore[attr-defined]
        finally:
            await self._response.aclose()

    def close(self) -> None:
        """Close the connection now, from the response's loop or another thread, more than once.

        httpx closes an async response by awaiting, so this starts that as a
        task of the response's own loop (a trio system task under trio).
        """
        if self._closed:
            return
        self._closed = True
        _spawn(self._loop, self._aclose)


async def _quietly(job: Callable[[], Awaitable[None]]) -> None:
    with contextlib.suppress(Exception):
        await job()


def _spawn(loop: object, job: Callable[[], Awaitable[None]]) -> None:
    """Run ``job()`` soon as a task of ``loop`` (an asyncio loop or trio token), from any thread."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        if loop.is_closed():
            return  # nothing can be closed cleanly any more: the sockets go with the loop

        def start() -> None:
            task = loop.create_task(_quietly(job))
            _CLOSING.add(task)
            task.add_done_callback(_CLOSING.discard)

        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if running is loop:
            start()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(start)
        return
    import trio

    def spawn() -> None:
        with contextlib.suppress(RuntimeError):  # the run is ending: its nursery takes no task
            trio.lowlevel.spawn_system_task(_quietly, job)

    with contextlib.suppress(trio.RunFinishedError):
        loop.run_sync_soon(spawn)  # type: ignore[attr-defined]


def _run_finished(loop: object) -> bool:
    """Whether ``loop`` is the token of a trio run that has ended (its sockets can be closed
    from another run: trio sockets belong to no run)."""
    if isinstance(loop, asyncio.AbstractEventLoop):
        return False
    import trio

    try:
        loop.run_sync_soon(_nothing)  # type: ignore[attr-defined]
    except trio.RunFinishedError:
        return True
    return False


def _nothing() -> None:
    return None


def _content(body: bytes | BodyStream | None) -> bytes | AsyncIterator[bytes] | None:
    """``request.body`` as httpx's ``content=``; an upload as an async iterable (see the sync
    transport's ``_content``)."""
    return _upload_chunks(body) if isinstance(body, BodyStream) else body


async def _upload_chunks(body: BodyStream) -> AsyncIterator[bytes]:
    """The body's pieces, each read in a worker thread so disk reads never block the loop."""
    chunks = body.chunks()
    try:
        while (chunk := await anyio.to_thread.run_sync(next, chunks, None)) is not None:
            yield chunk
    finally:
        close = getattr(chunks, "close", None)
        if close is not None:
            with contextlib.suppress(ValueError):  # still running in its thread: GC closes it
                close()


class AsyncHttpxTransport:
    """Sends :class:`Request` values with one ``httpx.AsyncClient``, created on first use.

    ``AsyncHttpxTransport(http2=True)`` (or ``session=httpx.AsyncClient(http2=True)``)
    needs the ``h2`` extra: ``pip install 'fruxon-httpx[h2]'``.
    """

    name = "httpx"
    version = httpx.__version__

    def __init__(
        self,
        session: httpx.AsyncClient | None = None,
        *,
        connector_limit: int = 100,
        http2: bool = False,
        tls: TLSSettings | None = None,
    ) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        self._options = new_client_options(connector_limit, http2, tls if session is None else None)
        self._session = session
        self._owns_session = session is None
        self._loop: object | None = None
        self._closed = False

    @property
    def session(self) -> httpx.AsyncClient | None:
        """The client in use, or ``None`` before the first request (and after ``aclose()``)."""
        return self._session

    def check_usable(self) -> None:
        """Raise now (before any retry logic) if this loop cannot use the client."""
        self._client_for_this_loop()

    def _client_for_this_loop(self) -> httpx.AsyncClient:
        loop = current_loop()
        session = self._session
        if session is not None and loop is self._loop:
            return session
        if self._closed:
            raise ClientClosedError("this AsyncFruxonClient is closed")
        if self._loop is not None and loop is not self._loop:
            raise EventLoopMismatchError(WRONG_LOOP)
        self._loop = loop
        if session is None:
            session = self._session = httpx.AsyncClient(**self._options)
            refuse_cookies(session)
        return session

    async def sleep(self, seconds: float) -> None:
        await anyio.sleep(seconds)

    async def send(self, request: Request, remaining: float | None) -> Response:
        client = self._client_for_this_loop()
        started = time.monotonic()
        error: BaseException | None = None
        try:
            call = client.request(
                request.method,
                request.url,
                content=_content(request.body),
                headers=request.headers,
                timeout=httpx_timeout(request.timeout, False, remaining),
                follow_redirects=False,
            )
            if remaining is None:
                response = await call
            else:
                with anyio.fail_after(remaining):
                    response = await call
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            error = exc
        if error is not None:
            raise failure(error, request)
        return Response(
            response.status_code,
            headers_of(response),
            response.content,
            request,
            response.reason_phrase,
            time.monotonic() - started,
        )

    async def open_stream(
        self, request: Request, remaining: float | None
    ) -> AsyncHttpxStreamResponse:
        client = self._client_for_this_loop()
        error: BaseException | None = None
        try:
            built = client.build_request(
                request.method,
                request.url,
                content=_content(request.body),
                headers=request.headers,
                timeout=httpx_timeout(request.timeout, True, remaining),
            )
            response = await client.send(built, stream=True, follow_redirects=False)
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            error = exc
        if error is not None:
            raise failure(error, request)
        return AsyncHttpxStreamResponse(response, request, self._loop)

    async def aclose(self) -> None:
        """Close the client if this transport created it; a caller's client is left open."""
        self._closed = True
        session, self._session = self._session, None
        if session is None or not self._owns_session:
            return
        loop = self._loop
        if isinstance(loop, asyncio.AbstractEventLoop) and loop.is_closed():
            return  # its loop is gone; nothing left that could be closed cleanly
        if loop is not None and current_loop() is not loop and not _run_finished(loop):
            self._session, self._closed = session, False
            raise EventLoopMismatchError(
                "close() must run on the event loop the client was used on"
            )
        await session.aclose()
