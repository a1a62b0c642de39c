"""What a transport must do for the client: the contract, as Protocols (no I/O here).

A transport moves :class:`~fruxon_core.http.Request` values over one HTTP
library and hands back :class:`~fruxon_core.http.Response` values or, for a
stream, an :class:`AsyncStreamResponse` whose body comes out as server-sent
events. It also sleeps between retries (so retry code runs on any event loop)
and says whether it can be used right now. Every rule above that -- hooks,
retries, status mapping, deadlines, the stream-idle clock -- lives in the
client written once in core, so a transport is small; the contract suite in
``tests/transport`` is its acceptance test.

Bodies: ``request.body`` is ``None``, ``bytes``, or a
:class:`~fruxon_core.http.BodyStream` (an upload) whose
:meth:`~fruxon_core.http.BodyStream.chunks` the transport sends as they come,
never joined in memory: with the request's ``Content-Length`` header when it
has one, else with chunked transfer encoding.

TLS: a transport takes a :class:`~fruxon_core.tls.TLSSettings` when it is
built and applies :meth:`~fruxon_core.tls.TLSSettings.ssl_context` (or turns
verification off) to the session it creates; a session the caller passes in is
used as it is.

Errors: a transport raises only :class:`~fruxon_core.exceptions.FruxonConnectionError`
or :class:`~fruxon_core.exceptions.FruxonTimeoutError` (built with their
constructors, the cause chained, ``request_sent`` set to whether the server
may have seen the request), plus ``ClientClosedError`` /
``EventLoopMismatchError`` from :meth:`AsyncTransport.check_usable`. A header
its library refuses to send is the ``ValueError`` that
:func:`fruxon_core.http.header_refusal` returns, raised outside the ``except``
block: the library's message quotes the value, which may be a key.

Also: skip interim ``1xx`` answers (``103 Early Hints``) and read the final
one; accept response header lines up to 64 KiB; and honour every ``timeout``
whatever the body's framing (chunked, Content-Length, close-delimited,
HTTP/1.0).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from fruxon_core.http import Request, Response
from fruxon_core.sse import ServerSentEvent

__all__ = ["AsyncStreamResponse", "AsyncTransport"]


class AsyncStreamResponse(Protocol):
    """An open streamed response: the head now, the body as server-sent events."""

    @property
    def status(self) -> int: ...

    @property
    def reason(self) -> str: ...

    @property
    def headers(self) -> Mapping[str, str]:
        """Lower-case names; repeated headers joined with ``", "``."""
        ...

    @property
    def request(self) -> Request: ...

    def head(self) -> Response:
        """Status and headers as a body-less :class:`Response`, for hooks."""
        ...

    async def read_all(self) -> Response:
        """Read the rest of the body (an error answer) and close.

        Bounded as a whole by ``request.timeout.head_read(True)``.
        """
        ...

    async def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        """Wait at most ``timeout`` seconds for body bytes; return the events they complete.

        ``timeout`` changes from read to read (the client's
        :class:`~fruxon_core.http.IdleClock` shrinks it towards the idle limit
        and the total deadline); every read must wait no longer, whatever the
        framing.

        ``[]`` when the bytes completed no event (a comment, part of a frame);
        ``None`` once the body has ended (events of an unterminated last frame
        come in the batch before). A timeout raises ``FruxonTimeoutError``, a
        broken connection ``FruxonConnectionError``.
        """
        ...

    async def read_bytes(self, timeout: float | None) -> bytes | None:
        """Wait at most ``timeout`` seconds for body bytes; return what arrived.

        For bodies that are not events (a file download). Never ``b""``:
        ``None`` once the body has ended. Errors as for :meth:`read_events`; a
        response is read with one of the two methods, not both.
        """
        ...

    async def finish(self) -> None:
        """The terminal event arrived: pool the connection if the body ended, else close it."""
        ...

    def close(self) -> None:
        """Close the connection now; safe from any thread, and more than once."""
        ...


class AsyncTransport(Protocol):
    """Sends requests over one HTTP library; see the module docstring."""

    @property
    def name(self) -> str:
        """The library's name for the User-Agent, e.g. ``"aiohttp"``."""
        ...

    @property
    def version(self) -> str:
        """The library's version, for the User-Agent."""
        ...

    @property
    def session(self) -> Any:
        """The library's session or client object in use (``None`` before the first call)."""
        ...

    def check_usable(self) -> None:
        """Raise ``ClientClosedError`` / ``EventLoopMismatchError`` if no call can be made now."""
        ...

    async def send(self, request: Request, remaining: float | None) -> Response:
        """Send ``request`` and read the whole answer, any status.

        ``remaining`` is what is left of the call's total deadline (``None``:
        no deadline); ``request.timeout`` already has its connect and read
        parts clipped to it. With a deadline the whole exchange, body
        included, ends within ``remaining`` seconds: a body that trickles in
        must not outlast it (raise ``FruxonTimeoutError``; the client words it).
        """
        ...

    async def open_stream(self, request: Request, remaining: float | None) -> AsyncStreamResponse:
        """Send ``request`` and return once the response head has arrived, any status.

        The head wait is bounded by ``request.timeout.head_read(True)``.
        """
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait between retries, the way this library's callers wait."""
        ...

    async def aclose(self) -> None:
        """Release pooled connections (a session the user passed in is left open)."""
        ...
