"""``HttpxTransport``: the transport contract of :mod:`fruxon_core.transport` on ``httpx.Client``.

This is the only module of the sync client that touches the network. Requests
go through ``client.request`` / ``client.send`` of one ``httpx.Client``, so a
client passed in as ``session=`` keeps its proxies, certificates, mounts, auth
and event hooks. Stream bodies are read as they arrive (``iter_raw``; the
decoded ``iter_bytes`` when the server compressed them) into core's
:class:`~fruxon_core.sse.SSEDecoder`. Every httpx failure becomes a
:class:`FruxonConnectionError` (or :class:`FruxonTimeoutError`), with the cause
chained and ``request_sent`` set to whether the server may have seen the request.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterable, Iterator
from typing import Any

import httpx

from fruxon_core.exceptions import ClientClosedError
from fruxon_core.http import BodyStream, Request, Response
from fruxon_core.sse import ServerSentEvent, SSEDecoder
from fruxon_core.tls import TLSSettings

from ._shared import (
    TRANSPORT_ERRORS,
    TimedRead,
    failure,
    headers_of,
    httpx_timeout,
    map_transport_error,
    near,
    new_client_options,
    read_within,
    refuse_cookies,
)

__all__ = ["HttpxStreamResponse", "HttpxTransport", "map_transport_error"]

#: After the terminal event, how long the end of the body may take to arrive
#: (it normally comes with the event) before the connection is closed instead of pooled.
FINISH_WAIT_S = 0.005


class HttpxStreamResponse:
    """An open streamed response: the head now, the body as events decoded by core's SSEDecoder.

    Each :meth:`read_events` waits at most its ``timeout``: the request's read
    timeout when that is what the idle clock asks for (httpcore applies it),
    else the stream's own, through :class:`~fruxon_httpx._shared.TimedRead`.
    """

    __slots__ = (
        "_chunks",
        "_decoder",
        "_eof",
        "_limit",
        "_network",
        "_reading",
        "_response",
        "headers",
        "reason",
        "request",
        "status",
    )

    def __init__(self, response: httpx.Response, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason_phrase
        self.headers = headers_of(response)
        self._decoder = SSEDecoder()
        self._chunks: Iterator[bytes] | None = None
        self._limit = request.timeout.head_read(True)  # what httpcore bounds each read by
        self._network: Any = response.extensions.get("network_stream")
        self._eof = False
        self._reading = False

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def read_all(self) -> Response:
        """Read the rest of the body (error statuses), bounded as a whole by the head's limit."""
        limit = self._limit
        try:
            if limit is None:
                body = self._response.read()
            else:
                body = read_within(self._response, time.monotonic() + limit)
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc, self.request) from exc
        finally:
            self.close()
        return Response(self.status, self.headers, body, self.request, self.reason)

    def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        if self._eof:
            return None
        chunk = self._read(timeout)
        if chunk:
            return self._decoder.feed(chunk)
        self._eof = True
        return self._decoder.close()

    def read_bytes(self, timeout: float | None) -> bytes | None:
        """The next piece of the body as it arrived, ``None`` at its end (downloads)."""
        if self._eof:
            return None
        chunk = self._read(timeout)
        if chunk:
            return chunk
        self._eof = True
        return None

    def _read(self, timeout: float | None) -> bytes:
        chunks = self._chunks
        if chunks is None:
            response = self._response
            encoded = "content-encoding" in self.headers
            chunks = self._chunks = response.iter_bytes() if encoded else response.iter_raw()
        try:
            return self._next(chunks, timeout)
        except TRANSPORT_ERRORS as exc:
            raise map_transport_error(exc, self.request) from exc

    def _next(self, chunks: Iterator[bytes], timeout: float | None) -> bytes:
        self._reading = True
        try:
            if timeout is None or self._network is None or near(timeout, self._limit):
                return next(chunks, b"")
            timed = TimedRead(threading.get_ident(), time.monotonic() + timeout)
            if not timed.install(self._network):
                return next(chunks, b"")
            try:
                return next(chunks, b"")
            finally:
                timed.remove(self._network)
        finally:
            self._reading = False

    def finish(self) -> None:
        """After the terminal event: pool the connection if the body's end is there, else close."""
        if not self._eof and self._chunks is not None and self._network is not None:
            try:  # nothing should follow the terminal event: whatever does is dropped
                if self._next(self._chunks, FINISH_WAIT_S):
                    self._next(self._chunks, FINISH_WAIT_S)
            except TRANSPORT_ERRORS:
                pass  # not there in time: the connection is closed below
        self._eof = True
        self.close()

    def close(self) -> None:
        """Close the connection now (from another thread too: a waiting read wakes up)."""
        if self._reading and not self._eof:
            sock = _socket_of(self._network)
            if sock is not None:
                with contextlib.suppress(OSError):
                    sock.shutdown(socket.SHUT_RDWR)
        self._response.close()


def _socket_of(network_stream: Any) -> socket.socket | None:
    get = getattr(network_stream, "get_extra_info", None)
    sock = get("socket") if get is not None else None
    return sock if isinstance(sock, socket.socket) else None


def _renew_pools(client: httpx.Client) -> None:
    """Give a caller's client fresh, empty connection pools (after a fork).

    httpx has no public call for this: each httpcore pool's connection and
    request lists are replaced (not closed: closing takes the pool's lock,
    which a thread of the parent may have held at the moment of the fork).
    """
    transports = [getattr(client, "_transport", None), *getattr(client, "_mounts", {}).values()]
    for transport in transports:
        pool = getattr(transport, "_pool", None)
        if pool is not None and hasattr(pool, "_connections"):
            pool._connections = []
            pool._requests = []
            pool._optional_thread_lock = type(pool._optional_thread_lock)()


def _content(body: bytes | BodyStream | None) -> bytes | Iterable[bytes] | None:
    """``request.body`` as httpx's ``content=``: an upload piece by piece.

    httpx sends an iterable chunked unless the request has a ``Content-Length``
    header, which a body of known size does.
    """
    return body.chunks() if isinstance(body, BodyStream) else body


class HttpxTransport:
    """Sends :class:`Request` values with one pooled ``httpx.Client``.

    **Threads.** One transport (and so one client) serves all the threads of
    a service: httpcore's connection pool is thread-safe, and the client
    writes no state per call -- headers, auth and timeouts travel with each
    request, and the ``httpx.Client`` it creates refuses cookies, the one
    thing httpx would store. A client passed in is used as it is.

    **Processes.** A forked child must not use the sockets it inherited. The
    transport notices the new process id on its next use: its own client is
    replaced, a caller's client keeps its settings but gets empty pools.

    **HTTP/2.** ``HttpxTransport(http2=True)`` (or ``session=httpx.Client(http2=True)``)
    needs the ``h2`` extra: ``pip install 'fruxon-httpx[h2]'``.
    """

    name = "httpx"
    version = httpx.__version__

    def __init__(
        self,
        session: httpx.Client | None = None,
        *,
        connector_limit: int = 100,
        http2: bool = False,
        tls: TLSSettings | None = None,
    ) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        self._options = new_client_options(connector_limit, http2, tls if session is None else None)
        self._owns_session = session is None
        self._session = self._new_client() if session is None else session
        self._pid = os.getpid()
        self._closed = False

    def _new_client(self) -> httpx.Client:
        client = httpx.Client(**self._options)
        refuse_cookies(client)
        return client

    @property
    def session(self) -> httpx.Client:
        """The client for this process: renewed on first use after a fork."""
        if self._pid != os.getpid():
            if self._owns_session:
                self._session = self._new_client()  # the parent's is dropped, not closed
            else:
                _renew_pools(self._session)
            self._pid = os.getpid()
        return self._session

    def check_usable(self) -> None:
        if self._closed:
            raise ClientClosedError("this FruxonClient is closed")

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def send(self, request: Request, remaining: float | None = None) -> Response:
        """Send and read the whole answer; with ``remaining``, every read ends within it."""
        started = time.monotonic()
        client = self.session
        error: BaseException | None = None
        try:
            if remaining is None:
                response = client.request(
                    request.method,
                    request.url,
                    content=_content(request.body),
                    headers=request.headers,
                    timeout=httpx_timeout(request.timeout, False, None),
                    follow_redirects=False,
                )
                body = response.content
            else:
                response = client.send(
                    client.build_request(
                        request.method,
                        request.url,
                        content=_content(request.body),
                        headers=request.headers,
                        timeout=httpx_timeout(request.timeout, False, remaining),
                    ),
                    stream=True,
                    follow_redirects=False,
                )
                body = read_within(response, started + remaining)
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            error = exc
        if error is not None:
            raise failure(error, request)
        return Response(
            response.status_code,
            headers_of(response),
            body,
            request,
            response.reason_phrase,
            time.monotonic() - started,
        )

    def open_stream(self, request: Request, remaining: float | None = None) -> HttpxStreamResponse:
        client = self.session
        error: BaseException | None = None
        try:
            built = client.build_request(
                request.method,
                request.url,
                content=_content(request.body),
                headers=request.headers,
                timeout=httpx_timeout(request.timeout, True, remaining),
            )
            response = client.send(built, stream=True, follow_redirects=False)
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            error = exc
        if error is not None:
            raise failure(error, request)
        return HttpxStreamResponse(response, request)

    def close(self) -> None:
        """Close the client and its pooled connections (a caller's client is left open)."""
        self._closed = True
        if self._owns_session:
            self.session.close()
