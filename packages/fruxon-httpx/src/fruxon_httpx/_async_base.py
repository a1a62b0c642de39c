"""Sending and reading on httpx, written once as async code: ``scripts/unasync.py`` generates
``_sync_base.py`` from it. ``transport.py`` adds what differs between the two transports."""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import AsyncIterator
from typing import Any, Generic, TypeVar

import httpx

from fruxon_core.http import BodyStream, Request, Response
from fruxon_core.sse import ServerSentEvent, SSEDecoder
from fruxon_core.tls import TLSSettings

from ._shared import TRANSPORT_ERRORS, AsyncTimedRead, client_options, failure, httpx_timeout, near

#: After the terminal event, how long the end of the body may take to arrive (it
#: normally comes with the event) before the connection is closed instead of pooled.
FINISH_WAIT_S = 0.005

S = TypeVar("S", bound="AsyncStreamBase")
UNBOUNDED = contextlib.nullcontext()  # (reusable)


class AsyncStreamBase:
    """An open streamed response: the head now, the body as events decoded by core's SSEDecoder;
    a read waits at most its ``timeout`` (httpcore's read timeout, or a ``TimedRead``)."""

    def __init__(self, response: httpx.Response, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers = dict(response.headers.items())  # lower-case, repeats joined by ", "
        self._decoder = SSEDecoder()
        self._chunks: AsyncIterator[bytes] | None = None
        self._limit = request.timeout.head_read(True)  # what httpcore bounds each read by
        self._network: Any = response.extensions.get("network_stream")
        self._eof = self._closed = False

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    async def read_all(self) -> Response:
        """Read the rest of the body (an error answer), bounded as a whole by the head's limit."""
        self._eof = True
        try:
            body = await read_body(self._response, self._limit, time.monotonic())
        except TRANSPORT_ERRORS as exc:
            raise failure(exc, self.request) from exc
        finally:
            await self._release()
        return Response(self.status, self.headers, body, self.request, self.reason)

    async def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        if self._eof:
            return None
        chunk = await self._read(timeout)
        self._eof = not chunk
        return self._decoder.feed(chunk) if chunk else self._decoder.close()

    async def read_bytes(self, timeout: float | None) -> bytes | None:
        chunk = b"" if self._eof else await self._read(timeout)
        self._eof = not chunk
        return chunk or None

    async def _read(self, timeout: float | None) -> bytes:
        if self._chunks is None:  # decoded only when the server compressed the body
            response = self._response
            encoded = "content-encoding" in self.headers
            self._chunks = response.aiter_bytes() if encoded else response.aiter_raw()
        try:
            return await self._next(self._chunks, timeout)
        except TRANSPORT_ERRORS as exc:
            raise failure(exc, self.request) from exc

    async def _next(self, chunks: AsyncIterator[bytes], timeout: float | None) -> bytes:
        if timeout is None or near(timeout, self._limit):
            return await anext(chunks, b"")
        with AsyncTimedRead(time.monotonic() + timeout, self._network):
            return await anext(chunks, b"")

    async def finish(self) -> None:
        """After the terminal event: pool the connection if the body's end is there, else close."""
        if not self._eof and self._chunks is not None and self._network is not None:
            with contextlib.suppress(*TRANSPORT_ERRORS):  # not there in time: closed below
                if await self._next(self._chunks, FINISH_WAIT_S):  # (what follows is dropped)
                    await self._next(self._chunks, FINISH_WAIT_S)
        self._eof = True
        await self._release()

    async def _release(self) -> None:
        """Close the body's generator (trio wants async generators closed), then the response."""
        self._closed = True
        chunks, self._chunks = self._chunks, None
        try:
            if chunks is not None:
                await chunks.aclose()  # type: ignore[attr-defined]
        finally:
            await self._response.aclose()


class AsyncTransportBase(Generic[S]):
    """``send`` and ``open_stream`` on the client :meth:`_client` returns: a caller's
    ``session`` as it is, else the transport's own."""

    name = "httpx"
    version = httpx.__version__
    _stream: type[S]  # the stream response class

    def __init__(
        self,
        session: httpx.AsyncClient | None = None,
        *,
        connector_limit: int = 100,
        http2: bool = False,
        tls: TLSSettings | None = None,
    ) -> None:
        self._options = client_options(session, connector_limit, http2, tls)
        self._owns_session = session is None
        client = httpx.AsyncClient(**self._options) if session is None else session
        self._session: httpx.AsyncClient | None = client
        self._defaults = dict(client.headers.items())  # (lower-case; the own client's)
        self._pid = os.getpid()  # (the sync transport renews its client after a fork)
        self._closed = False

    async def send(self, request: Request, remaining: float | None = None) -> Response:
        """Send and read the whole answer; with ``remaining``, all of it within that."""
        started = time.monotonic()
        try:
            with self._bounded(remaining):
                response = await self._send(request, False, remaining)
                body = await read_body(response, remaining, started)
        except TRANSPORT_ERRORS as exc:
            raise failure(exc, request) from exc
        headers = dict(response.headers.items())
        took = time.monotonic() - started
        return Response(response.status_code, headers, body, request, response.reason_phrase, took)

    async def open_stream(self, request: Request, remaining: float | None = None) -> S:
        return self._stream(await self._send(request, True, remaining), request)

    async def _send(self, request: Request, streaming: bool, left: float | None) -> httpx.Response:
        """Send ``request``; return at its answer's head."""
        client = self._client()
        try:
            body = self._content(request.body)
            timeout = httpx_timeout(request.timeout, streaming, left)
            if self._owns_session:  # no hooks, auth, cookies or redirects to apply
                return await self._send_direct(client, request, body, timeout)
            built = client.build_request(
                request.method, request.url, content=body, headers=request.headers, timeout=timeout
            )
            return await client.send(built, stream=True, follow_redirects=False)
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            error: BaseException = exc
        raise failure(error, request)  # outside the except block: nothing chained to a refusal

    async def _send_direct(
        self, client: httpx.AsyncClient, request: Request, body: Any, timeout: httpx.Timeout
    ) -> httpx.Response:
        """Send with the transport ``client`` would use for the URL (a proxy's, if the
        environment names one), skipping ``Client.send``'s layers, with its default headers."""
        headers = {**self._defaults, **{name.lower(): v for name, v in request.headers.items()}}
        extensions = {"timeout": timeout.as_dict()}
        built = httpx.Request(
            request.method, request.url, content=body, headers=headers, extensions=extensions
        )
        response = await client._transport_for_url(built.url).handle_async_request(built)
        response.request = built
        return response

    def check_usable(self) -> None:
        self._client()

    def _bounded(self, seconds: float | None) -> Any:
        """What bounds a whole attempt by ``seconds``, timeouts aside (here: nothing)."""
        return UNBOUNDED

    def _client(self) -> httpx.AsyncClient:
        """The client to send with; raises ``ClientClosedError`` or ``EventLoopMismatchError``."""
        raise NotImplementedError

    def _content(self, body: bytes | BodyStream | None) -> bytes | AsyncIterator[bytes] | None:
        raise NotImplementedError


async def read_body(response: httpx.Response, seconds: float | None, since: float) -> bytes:
    """The rest of the body, every socket read over ``seconds`` after ``since`` (``None``: no
    limit but httpx's read timeout), so a body trickling in cannot outlast it; then close."""
    try:
        if seconds is None:
            return await response.aread()
        with AsyncTimedRead(since + seconds, response.extensions.get("network_stream")):
            return await response.aread()
    finally:
        await response.aclose()
