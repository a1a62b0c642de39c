"""Moves request values over an ``aiohttp.ClientSession`` and maps its failures.

This is the only module of the async client that touches the network. Every
aiohttp/asyncio/socket failure becomes a :class:`FruxonConnectionError` (or
:class:`FruxonTimeoutError`), with the cause chained and ``request_sent`` set
to whether the server may have seen the request -- the same contract as the
sync client's transport.

The session is created lazily, inside the running loop (aiohttp sessions
belong to the loop they were created on), and the transport remembers that
loop: a call from any other loop raises :class:`EventLoopMismatchError` at
once instead of hanging on futures of the wrong loop.
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

import aiohttp

from fruxon_core.exceptions import FruxonConnectionError, FruxonError, FruxonTimeoutError
from fruxon_core.http import Request, Response, Timeout

__all__ = [
    "TRANSPORT_ERRORS",
    "AiohttpTransport",
    "ClientClosedError",
    "EventLoopMismatchError",
    "StreamingResponse",
    "client_timeout",
    "map_transport_error",
]

#: aiohttp >= 3.10 tells a connect timeout (request not sent) from a read timeout.
_CONNECT_TIMEOUTS: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(aiohttp, "ConnectionTimeoutError", None),) if cls is not None
)


class EventLoopMismatchError(FruxonError, RuntimeError):
    """The client was used from an event loop other than the one its session belongs to."""


class ClientClosedError(FruxonError, RuntimeError):
    """A request was made after ``await client.close()``."""


def map_transport_error(exc: BaseException) -> FruxonConnectionError:
    """The SDK exception for an aiohttp/asyncio/socket failure (cause not yet chained)."""
    if isinstance(exc, FruxonConnectionError):
        return exc
    if isinstance(exc, _CONNECT_TIMEOUTS):
        return FruxonTimeoutError(f"timed out connecting: {exc}", request_sent=False)
    if isinstance(exc, asyncio.TimeoutError):  # ServerTimeoutError (sock_read) and total
        return FruxonTimeoutError(f"timed out waiting for the server: {exc or 'timeout'}")
    if isinstance(exc, (aiohttp.ClientConnectorError, aiohttp.InvalidURL)):
        # refused, DNS, TLS handshake, proxy, bad URL: nothing reached the server
        return FruxonConnectionError(f"could not connect: {exc}", request_sent=False)
    return FruxonConnectionError(f"connection failed: {exc or type(exc).__name__}")


TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)


def client_timeout(
    timeout: Timeout, streaming: bool, remaining: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for one attempt.

    ``connect`` bounds the TCP/TLS handshake (``sock_connect``), ``read`` each
    wait for bytes (``sock_read``; for a stream at most ``stream_idle``, so a
    fully silent stream is caught even between reads). ``remaining`` -- what is
    left of the call's total deadline -- bounds a whole plain request, but for
    a stream only getting a connection (a pool slot included): once events
    flow, the stream-idle rule governs, as in the sync client.
    """
    read = timeout.read
    if streaming and timeout.stream_idle is not None:
        read = timeout.stream_idle if read is None else min(read, timeout.stream_idle)
    return aiohttp.ClientTimeout(
        total=None if streaming else remaining,
        connect=remaining if streaming else None,
        sock_connect=timeout.connect,
        sock_read=read,
    )


#: Without a total deadline the answer depends on the client's settings only: cache it.
_timeout_without_deadline = functools.lru_cache(maxsize=64)(client_timeout)


def _attempt_timeout(
    timeout: Timeout, streaming: bool, remaining: float | None
) -> aiohttp.ClientTimeout:
    if remaining is None:
        return _timeout_without_deadline(timeout, streaming, None)
    return client_timeout(timeout, streaming, remaining)


def _headers(raw: Any) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ``", "`` as requests does."""
    headers: dict[str, str] = {name.lower(): value for name, value in raw.items()}
    if len(headers) == len(raw):
        return headers
    headers.clear()
    for name, value in raw.items():
        key = name.lower()
        headers[key] = f"{headers[key]}, {value}" if key in headers else value
    return headers


class StreamingResponse:
    """An open streamed response: status and headers now, body bytes as they arrive."""

    __slots__ = ("_response", "content", "headers", "loop", "reason", "request", "status")

    def __init__(self, response: aiohttp.ClientResponse, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status
        self.reason = response.reason or ""
        self.headers = _headers(response.headers)
        self.content = response.content
        self.loop = asyncio.get_running_loop()

    def use_body_read_timeout(self) -> None:
        """From now on bound each socket read by ``Timeout.read`` alone.

        The head was awaited with at most ``stream_idle`` (as in the sync
        client); between body chunks the stream-idle rule is enforced by the
        stream itself, measured from the last event rather than the last byte.
        """
        connection = self._response.connection
        protocol = connection.protocol if connection is not None else None
        if protocol is not None:
            protocol.read_timeout = self.request.timeout.read

    def is_connected(self) -> bool:
        """Whether the body can still arrive: the connection is ours and not yet lost.

        ``False`` once aiohttp has closed or released the connection, or seen
        it lost -- which normally also ends or fails the body, but a connection
        closed under a pending read (``session.close()``, the pool) does neither.
        """
        connection = self._response.connection
        protocol = connection.protocol if connection is not None else None
        return protocol is not None and getattr(protocol, "transport", None) is not None

    async def read_all(self) -> Response:
        """Read the rest of the body into a :class:`Response` (used for error statuses).

        Bounded by the head's read limit as a whole (error bodies are small), so
        a server that sends an error status and then goes silent cannot hang it.
        """
        limit = client_timeout(self.request.timeout, True, None).sock_read
        try:
            if limit is None:
                body = await self._response.read()
            else:
                body = await asyncio.wait_for(self._response.read(), limit)
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc) from exc
        finally:
            self.close()
        return Response(self.status, self.headers, body, self.request, self.reason)

    def head(self) -> Response:
        """Status and headers as a body-less :class:`Response`, for hooks."""
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def body_complete(self) -> bool:
        """Whether the whole body arrived (aiohttp then pools the connection by itself)."""
        return self.content.is_eof()

    def release(self) -> None:
        """Hand the connection back to the pool if the body was read to the end, else close it."""
        self._response.release()

    def close(self) -> None:
        """Close the connection; a body not read to the end is discarded with the socket."""
        self._response.close()


class AiohttpTransport:
    """Sends :class:`Request` values with one ``aiohttp.ClientSession``, created on first use."""

    def __init__(self, session: aiohttp.ClientSession | None, *, connector_limit: int) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        self._session = session
        self._owns_session = session is None
        self._connector_limit = connector_limit
        self._loop: asyncio.AbstractEventLoop | None = (
            getattr(session, "_loop", None) if session is not None else None
        )
        self._closed = False

    @property
    def session(self) -> aiohttp.ClientSession | None:
        """The session in use, or ``None`` before the first request."""
        return self._session

    def check_usable(self) -> None:
        """Raise now (before any retry logic) if this loop cannot use the session."""
        self._session_for_this_loop()

    def _session_for_this_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and loop is self._loop:
            return session
        if self._closed:
            raise ClientClosedError("this AsyncFruxonClient is closed")
        if self._loop is not None and loop is not self._loop:
            raise EventLoopMismatchError(
                "this AsyncFruxonClient is bound to another event loop: its aiohttp session "
                "was created on (or passed in for) a different loop. Create one client per "
                "event loop (e.g. per asyncio.run() call or per thread)."
            )
        self._loop = loop
        if session is None:
            session = self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connector_limit)
            )
        return session

    async def send(self, request: Request, remaining: float | None) -> Response:
        session = self._session_for_this_loop()
        started = self._loop.time() if self._loop is not None else 0.0
        try:  # (not a context manager: this runs on every call)
            async with session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=_attempt_timeout(request.timeout, False, remaining),
                allow_redirects=False,
            ) as response:
                body = await response.read()
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc) from exc
        elapsed = self._loop.time() - started if self._loop is not None else 0.0
        return Response(
            response.status,
            _headers(response.headers),
            body,
            request,
            response.reason or "",
            elapsed,
        )

    async def open_stream(self, request: Request, remaining: float | None) -> StreamingResponse:
        session = self._session_for_this_loop()
        try:
            response = await session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=_attempt_timeout(request.timeout, True, remaining),
                allow_redirects=False,
            )
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc) from exc
        return StreamingResponse(response, request)

    async def close(self) -> None:
        """Close the session if this transport created it; a caller's session is left open."""
        self._closed = True
        session, self._session = self._session, None
        if session is None or not self._owns_session:
            return
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop and not self._loop.is_closed():
            self._session = session
            self._closed = False
            raise EventLoopMismatchError(
                "close() must run on the event loop the client was used on"
            )
        if self._loop is not None and self._loop.is_closed():
            session.detach()  # its loop is gone; nothing left that could be closed cleanly
            return
        await session.close()
