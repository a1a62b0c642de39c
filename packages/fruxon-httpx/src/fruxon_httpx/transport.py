"""``HttpxTransport``: the transport contract of :mod:`fruxon_core.transport` on ``httpx.Client``.

Sending and reading are ``_sync_base``'s, generated from the async
transport's :mod:`fruxon_httpx._async_base`; this module adds what only the
sync side has: threads and ``fork()``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from collections.abc import Iterator

import httpx

from fruxon_core.exceptions import ClientClosedError
from fruxon_core.http import BodyStream, Request
from fruxon_core.tls import TLSSettings

from ._shared import client_options, new_client
from ._sync_base import StreamBase, TransportBase

__all__ = ["HttpxStreamResponse", "HttpxTransport"]


class HttpxStreamResponse(StreamBase):
    """An open streamed response; :meth:`close` may come from another thread."""

    def close(self) -> None:
        """Close the connection now (from another thread too: a waiting read wakes up)."""
        get = getattr(self._network, "get_extra_info", None)
        sock = get("socket") if get is not None and self._reading and not self._eof else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self._release()


class HttpxTransport(TransportBase[HttpxStreamResponse]):
    """Sends :class:`Request` values with one pooled ``httpx.Client``.

    **Threads.** One transport (and so one client) serves all the threads of
    a service: httpcore's connection pool is thread-safe, and the client
    writes no state per call -- headers, auth and timeouts travel with each
    request, and the ``httpx.Client`` it creates refuses cookies, the one
    thing httpx would store. A client passed in is used as it is.

    **Processes.** A forked child must not use the sockets it inherited. The
    transport notices the new process id on its next use: its own client is
    replaced, a caller's client keeps its settings but gets empty pools.

    **HTTP/2.** ``http2=True`` (or ``session=httpx.Client(http2=True)``)
    needs the ``h2`` extra: ``pip install 'fruxon-httpx[h2]'``.
    """

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

    def _stream(self, response: httpx.Response, request: Request) -> HttpxStreamResponse:
        return HttpxStreamResponse(response, request)

    def _content(self, body: bytes | BodyStream | None) -> bytes | Iterator[bytes] | None:
        # sent chunked, unless the request has a Content-Length (a body of known size does)
        return body.chunks() if isinstance(body, BodyStream) else body

    def check_usable(self) -> None:
        if self._closed:
            raise ClientClosedError("this FruxonClient is closed")

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

    def close(self) -> None:
        """Close the client and its pooled connections (a caller's client is left open)."""
        self._closed = True
        if self._owns_session:
            self.session.close()


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
