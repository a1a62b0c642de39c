"""Requests and responses as plain values, so transports only move bytes.

A transport receives a :class:`Request` (method, URL, headers, a body of bytes
or a :class:`BodyStream`, timeouts) and hands back a :class:`Response`
(status, lower-cased headers, body bytes). Nothing here knows about sockets.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from .exceptions import FruxonTimeoutError, UnexpectedResponseError
from .redaction import redact_headers

__all__ = [
    "BodyStream",
    "IdleClock",
    "Request",
    "Response",
    "Timeout",
    "check_headers",
    "header_refusal",
    "header_value_problem",
    "url_host",
]


@dataclass(frozen=True, slots=True)
class Timeout:
    """Timeouts in seconds; ``None`` disables one.

    ``connect`` bounds opening the connection, ``read`` each wait for response
    bytes, ``stream_idle`` the gap between two dispatched stream events
    (keep-alive comments do not reset it) and ``total`` the whole call, from
    its first attempt until its result is in hand: every attempt, the waits
    between retries, reading a response body to its end and, for a stream,
    every event up to the terminal one. Nothing is exempt; give a long stream
    ``total=None`` (the default) and bound it with ``stream_idle`` instead.
    """

    connect: float | None = 10.0
    read: float | None = 120.0
    stream_idle: float | None = 120.0
    total: float | None = None

    @classmethod
    def of(cls, value: Timeout | float | None) -> Timeout:
        """A :class:`Timeout` from what ``timeout=`` accepts: a Timeout, seconds, or ``None``.

        ``n`` seconds is ``Timeout(connect=min(n, 10), read=n, stream_idle=n)``;
        ``None`` disables every limit.
        """
        if isinstance(value, Timeout):
            return value
        if value is None:
            return cls(connect=None, read=None, stream_idle=None, total=None)
        seconds = float(value)
        return cls(connect=min(seconds, 10.0), read=seconds, stream_idle=seconds, total=None)

    def head_read(self, streaming: bool) -> float | None:
        """The bound on waiting for a response head (and an error body read whole).

        ``read``; for a stream at most ``stream_idle`` too, so a stream that never
        answers is caught as soon as either limit passes.
        """
        read, idle = self.read, self.stream_idle
        if not streaming or idle is None:
            return read
        return idle if read is None or idle < read else read


class IdleClock:
    """The one timeout authority of an open stream, without I/O: what may the next read wait?

    Three limits. Two are counted only while the stream waits for the server
    (a slow consumer is never mistaken for a silent server): ``stream_idle``
    since the first read after the last event handed to the caller --
    keep-alive comments and partial frames do not reset it -- and ``read``
    for each single wait. The third is the call's ``total`` deadline, a point
    in time that nothing moves. The stream asks :meth:`read_timeout` before
    every read and the transport applies that number to its socket or timer;
    when a read times out, :meth:`timeout_error` says which limit it was.
    """

    __slots__ = ("_seen", "deadline", "idle", "read", "since", "total")

    def __init__(self, timeout: Timeout, now: float, deadline: float | None = None) -> None:
        self.idle = timeout.stream_idle
        self.read = timeout.read
        self.total = timeout.total
        self.deadline = deadline
        """``time.monotonic()`` value at which the call's total deadline expires, or ``None``."""
        self.since = now
        self._seen = 0

    def read_timeout(self, now: float, events: int) -> float | None:
        """Seconds the next read may wait, given how many events were dispatched so far.

        Raises the deadline or stream-idle :class:`FruxonTimeoutError` once that
        limit has passed.
        """
        idle = self.idle
        read = self.read
        if idle is None:
            limit = read
        else:
            if events != self._seen:
                self._seen = events
                self.since = now
                remaining = idle
            else:
                remaining = self.since + idle - now
                if remaining <= 0.001:
                    raise self._expired(now, idle)
            limit = remaining if read is None or remaining < read else read
        deadline = self.deadline
        if deadline is None:
            return limit
        left = deadline - now
        if left <= 0.001:
            raise FruxonTimeoutError.deadline(self.total, request_sent=True)
        return left if limit is None or left < limit else limit

    def _expired(self, now: float, idle: float) -> FruxonTimeoutError:
        if self.deadline is not None and now >= self.deadline - 0.001:
            return FruxonTimeoutError.deadline(self.total, request_sent=True)
        return FruxonTimeoutError.stream_idle(idle)

    def idle_expired(self, now: float) -> bool:
        idle = self.idle
        return idle is not None and now - self.since >= idle - 0.001

    def timeout_error(self, now: float) -> FruxonTimeoutError:
        """The error for a read that timed out at ``now``: deadline, stream-idle or read timeout."""
        if self.deadline is not None and now >= self.deadline - 0.001:
            return FruxonTimeoutError.deadline(self.total, request_sent=True)
        if self.idle is not None and self.idle_expired(now):
            return FruxonTimeoutError.stream_idle(self.idle)
        return FruxonTimeoutError.waiting(self.read)


#: A header field name: an RFC 9110 token.
_HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
#: What a header value may not contain: anything but visible ASCII, space and tab.
_BAD_VALUE_CHARACTER = re.compile(r"[^\t\x20-\x7e]")


def header_value_problem(value: str) -> str | None:
    """Why ``value`` cannot be sent as a header value (never quoting it), or ``None``.

    Allowed: visible ASCII, space and tab, not at the start. Line breaks would
    end the header (header injection), other control characters are refused
    by servers and proxies, leading whitespace is refused by requests, and
    non-ASCII text would be encoded differently by each HTTP library.
    """
    bad = _BAD_VALUE_CHARACTER.search(value)
    if bad is not None:
        character = bad.group()
        if character in "\r\n":
            kind = "a line break (CR or LF)"
        elif character < " " or character == "\x7f":
            kind = f"a control character (U+{ord(character):04X})"
        else:
            kind = "a non-ASCII character"
        return f"{kind} at position {bad.start()}"
    if value[:1] in (" ", "\t"):
        return "leading whitespace"
    return None


def check_headers(headers: Mapping[str, object], origin: str) -> None:
    """Raise ``ValueError`` (``TypeError``) for a header HTTP cannot carry; values are never shown.

    ``origin`` says where the headers came from, e.g. ``"in default_headers"``.
    """
    for name, value in headers.items():
        if not isinstance(name, str):
            raise TypeError(f"header names must be str, got {type(name).__name__} {origin}")
        if not isinstance(value, str):
            raise TypeError(
                f"header {name!r} {origin} must have a str value, got {type(value).__name__}"
            )
        if _HEADER_NAME.match(name) is None:
            raise ValueError(
                f"header name {name!r} {origin} is not a valid HTTP header name "
                "(letters, digits and !#$%&'*+-.^_`|~ only)"
            )
        problem = header_value_problem(value)
        if problem is not None:
            raise ValueError(
                f"header {name!r} {origin} cannot be sent: its value contains {problem} "
                "(the value is not shown). HTTP header values are visible ASCII, spaces and "
                "tabs; remove line breaks and control characters, percent-encode other text."
            )


def header_refusal(headers: Mapping[str, object]) -> ValueError | TypeError | None:
    """The error :func:`check_headers` raises for ``headers``, returned (``None``: all good).

    For transports: when their HTTP library refuses a header, they raise this
    instead of the library's error, whose message quotes the value. Call it
    outside the ``except`` block so the library's error is not chained.
    """
    try:
        check_headers(headers, "of the request")
    except (ValueError, TypeError) as error:
        error.__traceback__ = None
        return error
    return None


class BodyStream:
    """A request body sent in pieces (a file upload), so it is never held in memory whole.

    :meth:`chunks` opens the body and yields its bytes in order; ``length`` is
    the total size when known (sent as ``Content-Length``; otherwise the body
    goes out with chunked transfer encoding). A body read from a path, from
    bytes or from a seekable file can be opened again, so an attempt that
    failed can be retried; one read from a pipe or socket (``replayable``
    false) can be sent only once: :attr:`can_send` says whether it still can.
    """

    __slots__ = ("_open", "_opened", "length", "replayable")

    def __init__(
        self, open_chunks: Callable[[], Iterator[bytes]], length: int | None, *, replayable: bool
    ) -> None:
        self._open = open_chunks
        self._opened = False
        self.length = length
        self.replayable = replayable

    @property
    def can_send(self) -> bool:
        """True unless this is a one-shot body that was already opened."""
        return self.replayable or not self._opened

    def chunks(self) -> Iterator[bytes]:
        """The body's bytes, piece by piece (each call starts again from the beginning)."""
        if not self.can_send:
            raise RuntimeError("this request body can be sent only once and was already sent")
        self._opened = True
        return self._open()

    async def achunks(
        self, run_sync: Callable[[Callable[..., Any], Any, Any], Awaitable[Any]]
    ) -> AsyncGenerator[bytes, None]:
        """:meth:`chunks` for async transports: each piece is read by ``run_sync(next, chunks,
        None)`` -- a worker thread, e.g. ``asyncio.to_thread`` -- so disk reads never block
        the event loop."""
        chunks = self.chunks()
        try:
            while (chunk := await run_sync(next, chunks, None)) is not None:
                yield chunk
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                with contextlib.suppress(ValueError):  # still running in its thread: GC closes it
                    close()

    def __repr__(self) -> str:
        size = "unknown size" if self.length is None else f"{self.length} bytes"
        return f"BodyStream({size}, replayable={self.replayable})"


def _body_size(body: bytes | BodyStream | None) -> str:
    if isinstance(body, BodyStream):
        return "streamed" if body.length is None else f"{body.length} bytes streamed"
    return f"{len(body or b'')} bytes"


def url_host(url: str) -> str:
    """The host (and port, if the URL has one) of ``url``, without credentials: for messages."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    return netloc.rpartition("@")[2] or "the API"


class Request(msgspec.Struct, frozen=True):
    """One HTTP request, ready to send; treat ``headers`` as read-only.

    A frozen msgspec struct (like every value the SDK hands out): one is built
    per call and copied per hook that adds headers, so construction cost counts.
    """

    method: str
    url: str
    headers: Mapping[str, str]
    body: bytes | BodyStream | None = None
    """JSON bytes for most calls; a :class:`BodyStream` for uploads."""
    stream: bool = False
    timeout: Timeout = msgspec.field(default_factory=Timeout)
    operation: str = ""
    """Name of the API operation, e.g. ``"execute"`` (for hooks and logs)."""
    path: str = ""
    """The URL path without host or query, safe to log."""

    def with_headers(self, headers: Mapping[str, str]) -> Request:
        """A copy with ``headers`` set (replacing same-named ones, case-insensitively)."""
        if not headers:
            return self
        merged = dict(self.headers)
        lowered: dict[str, str] | None = None  # lower-case name -> name, built if needed
        for name, value in headers.items():
            if name not in merged:
                if lowered is None:
                    lowered = {key.lower(): key for key in merged}
                same = lowered.get(name.lower())
                if same is not None:
                    del merged[same]
                lowered[name.lower()] = name
            merged[name] = value
        return msgspec.structs.replace(self, headers=merged)

    def header(self, name: str) -> str | None:
        """The value of a header, looked up case-insensitively."""
        name = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == name), None)

    def __repr__(self) -> str:
        return (
            f"Request({self.method} {self.url}, headers={redact_headers(self.headers)}, "
            f"body={_body_size(self.body)})"
        )


class Response(msgspec.Struct, frozen=True):
    """A complete HTTP response. Header names are lower-case."""

    status: int
    headers: Mapping[str, str]
    body: bytes
    request: Request
    reason: str = ""
    elapsed: float = 0.0
    """Seconds from sending the request to having the whole body."""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def content_type(self) -> str:
        """The ``Content-Type`` header without parameters, e.g. ``application/json``."""
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    @property
    def text(self) -> str:
        """The body as text (UTF-8, undecodable bytes replaced)."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON (``None`` for an empty body)."""
        if not self.body.strip():
            return None
        try:
            return msgspec.json.decode(self.body)
        except msgspec.DecodeError as exc:
            raise UnexpectedResponseError(f"The response body is not valid JSON: {exc}") from None

    def __repr__(self) -> str:
        return (
            f"Response({self.status} {self.reason}, headers={redact_headers(self.headers)}, "
            f"body={len(self.body)} bytes)"
        )
