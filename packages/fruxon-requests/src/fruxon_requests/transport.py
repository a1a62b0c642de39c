"""Moves request values over a ``requests.Session`` and maps its failures.

This is the only module that touches the network for the sync client. Every
requests/urllib3 exception becomes a :class:`FruxonConnectionError` (or
:class:`FruxonTimeoutError`), with the cause chained and ``request_sent`` set
to whether the server may have seen the request.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
import urllib3.exceptions
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Request, Response

__all__ = ["RequestsTransport", "StreamingResponse", "map_transport_error"]

READ_SIZE = 65536


def _timeouts(request: Request, *, streaming: bool) -> tuple[float | None, float | None]:
    timeout = request.timeout
    read = timeout.read
    if streaming and timeout.stream_idle is not None:
        read = timeout.stream_idle if read is None else min(read, timeout.stream_idle)
    return timeout.connect, read


def map_transport_error(exc: BaseException) -> FruxonConnectionError:
    """The SDK exception for a requests/urllib3/socket failure (cause not yet chained)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FruxonTimeoutError(f"timed out connecting: {exc}", request_sent=False)
    if isinstance(exc, (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError,
                        TimeoutError)):
        return FruxonTimeoutError(f"timed out waiting for the server: {exc}")
    if isinstance(exc, requests.exceptions.ConnectionError) and _not_sent(exc):
        return FruxonConnectionError(f"could not connect: {exc}", request_sent=False)
    return FruxonConnectionError(f"connection failed: {exc}")


def _not_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """True for failures before the request left: refused, DNS, proxy, TLS handshake."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(reason, (urllib3.exceptions.NewConnectionError,
                               urllib3.exceptions.NameResolutionError,
                               urllib3.exceptions.ProxyError,
                               urllib3.exceptions.SSLError, ConnectionRefusedError))


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise map_transport_error(exc) from exc


class StreamingResponse:
    """An open streamed response: status and headers now, body bytes as they arrive."""

    def __init__(self, response: requests.Response, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason or ""
        self.headers = {k.lower(): v for k, v in response.headers.items()}

    def read_all(self) -> Response:
        """Read the rest of the body into a :class:`Response` (used for error statuses)."""
        with _mapped_errors():
            body = self._response.content
        self.close()
        return Response(self.status, self.headers, body, self.request, self.reason)

    def head(self) -> Response:
        """Status and headers as a body-less :class:`Response`, for hooks."""
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def iter_chunks(self) -> Iterator[bytes]:
        """Body bytes as soon as they arrive: ``read1`` returns what the socket has."""
        raw = self._response.raw
        with _mapped_errors():
            while True:
                chunk = raw.read1(READ_SIZE, decode_content=True)
                if not chunk:
                    return
                yield chunk

    def close(self) -> None:
        """Release the connection. A body not read to the end is discarded with the socket."""
        self._response.close()


class RequestsTransport:
    """Sends :class:`Request` values with a pooled ``requests.Session``."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session

    def send(self, request: Request) -> Response:
        started = time.monotonic()
        with _mapped_errors():
            response = self.session.request(
                request.method, request.url, headers=dict(request.headers), data=request.body,
                timeout=_timeouts(request, streaming=False), allow_redirects=False,
            )
            body = response.content
        return Response(
            response.status_code, {k.lower(): v for k, v in response.headers.items()}, body,
            request, response.reason or "", time.monotonic() - started,
        )

    def open_stream(self, request: Request) -> StreamingResponse:
        with _mapped_errors():
            response = self.session.request(
                request.method, request.url, headers=dict(request.headers), data=request.body,
                timeout=_timeouts(request, streaming=True), stream=True, allow_redirects=False,
            )
        return StreamingResponse(response, request)
