"""What both httpx transports share: error mapping, timeouts, client options, timed reads."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import anyio
import httpx

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Request, Timeout, header_refusal, url_host
from fruxon_core.tls import TLSSettings

#: What a call into httpx can raise (``InvalidURL`` is not a ``RequestError``; sending also
#: raises ``ValueError`` for a header it refuses).
TRANSPORT_ERRORS = (httpx.RequestError, httpx.InvalidURL, httpx.StreamClosed, OSError)
#: Errors raised before anything reached the server.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)


def failure(exc: BaseException, request: Request) -> BaseException:
    """What to raise for ``exc`` (outside the ``except`` block): a header httpx or h11 refused
    is core's ``ValueError``, which never quotes it, with nothing chained; an httpx failure is
    the SDK's exception, naming the operating system's error (not httpcore's or anyio's)."""
    if isinstance(exc, (ValueError, httpx.LocalProtocolError)):
        refusal = header_refusal(request.headers)
        if refusal is not None:
            return refusal
    if not isinstance(exc, TRANSPORT_ERRORS):
        return exc
    error: FruxonConnectionError
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        error = FruxonTimeoutError.connecting(host=url_host(request.url))
    elif isinstance(exc, (httpx.TimeoutException, TimeoutError)):  # read, write; our deadline
        error = FruxonTimeoutError.waiting()
    elif isinstance(exc, _NOT_SENT):
        error = FruxonConnectionError.cannot_connect(url_host(request.url), exc)
    elif isinstance(exc, httpx.StreamClosed):
        error = FruxonConnectionError.lost("the stream was closed")
    else:
        error = FruxonConnectionError.lost(exc)
    error.__cause__ = exc
    return error


@functools.lru_cache(maxsize=64)
def _cached_timeout(connect: float | None, read: float | None) -> httpx.Timeout:
    return httpx.Timeout(connect=connect, read=read, write=read, pool=None)


def httpx_timeout(timeout: Timeout, streaming: bool, remaining: float | None) -> httpx.Timeout:
    """httpx's timeouts for one attempt; waiting for a pooled connection gets what is left."""
    read = timeout.head_read(streaming)
    if remaining is None:
        return _cached_timeout(timeout.connect, read)
    return httpx.Timeout(connect=timeout.connect, read=read, write=read, pool=remaining)


def near(timeout: float | None, limit: float | None) -> bool:
    """Whether a read may wait ``limit`` (httpcore's) instead of ``timeout``: the same, or at
    most 1 ms + 1 % shorter (the stream's first read, just after the head)."""
    if timeout is None or limit is None:
        return timeout is limit
    return 0 <= limit - timeout <= 0.001 + 0.01 * limit


def client_options(
    session: object, connector_limit: int, http2: bool, tls: TLSSettings | None
) -> dict[str, Any]:
    """Keyword arguments of the client a transport makes (httpx reads proxy variables)."""
    if connector_limit < 0:
        raise ValueError("connector_limit must be >= 0 (0 means no limit)")
    if http2:
        try:
            import h2  # noqa: F401
        except ImportError as exc:
            extra = "pip install 'fruxon-httpx[h2]' (or 'httpx[http2]')"
            raise ImportError(f"HTTP/2 needs the h2 package: {extra}") from exc
    limit = connector_limit or None
    limits = httpx.Limits(max_connections=limit, max_keepalive_connections=limit)
    options: dict[str, Any] = {"limits": limits, "http2": http2, "timeout": None}
    if session is None and tls is not None and not tls.is_default:
        context = tls.ssl_context()  # (warns once when verification is off)
        options["verify"] = context if tls.verify else False
    return options


def current_loop() -> object:
    """The running asyncio loop, or the running trio run's token."""
    try:  # (twice per call: no context manager)
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    with contextlib.suppress(RuntimeError, KeyError):  # (trio not imported: not running)
        return sys.modules["trio"].lowlevel.current_trio_token()
    raise RuntimeError("the async client needs a running asyncio or trio event loop")


class TimedRead:
    """In front of ``network.read`` (httpcore's, which it calls per socket read with the read
    timeout fixed per request) during a ``with`` block, so this thread's reads end by
    ``deadline`` (``time.monotonic()``); other threads' reads (HTTP/2) pass through."""

    __slots__ = ("deadline", "network", "owner", "read")
    read: Callable[..., Any]

    def __init__(self, deadline: float, network: Any) -> None:
        self.deadline, self.network, self.owner = deadline, network, threading.get_ident()

    def __enter__(self) -> None:
        attrs = getattr(self.network, "__dict__", None)
        if attrs is not None and callable(getattr(self.network, "read", None)):
            current = attrs.get("read")
            self.read = current.read if isinstance(current, TimedRead) else self.network.read
            attrs["read"] = self

    def __exit__(self, *exc: object) -> None:
        attrs = getattr(self.network, "__dict__", {})
        if attrs.get("read") is self:
            del attrs["read"]

    def __call__(self, max_bytes: int, timeout: float | None = None) -> Any:
        if threading.get_ident() == self.owner:
            left = self.deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("the read ran out of time")
            timeout = left if timeout is None or left < timeout else timeout
        return self.read(max_bytes, timeout)


def AsyncTimedRead(deadline: float, network: object) -> Any:  # (a class's name: TimedRead's twin)
    """:class:`TimedRead` for async code: a cancel scope, which ends this task's reads only."""
    return anyio.fail_after(max(deadline - time.monotonic(), 0.0))
