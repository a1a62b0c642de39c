"""What the sync and async httpx transports share: error mapping, timeouts, client setup.

Also the one way an open stream bounds a single body read by a timeout of its
own. httpcore reads a response body with the read timeout the request was
sent with, fixed for the whole body; the stream's idle clock needs a shorter
one when the stream-idle limit is partly used up. httpx hands every response
the connection's network stream (``response.extensions["network_stream"]``,
whose ``read(max_bytes, timeout)`` httpcore calls for each socket read), so
for such a read the stream puts :class:`TimedRead` in front of that method:
reads made by the stream's own thread or task get the stream's timeout, any
other caller's pass through unchanged, and the method is put back right after.
A timeout then comes out of httpcore as its own ``ReadTimeout``, with the
connection closed by httpcore's usual error path.
"""

from __future__ import annotations

import asyncio
import functools
import http.cookiejar
import sys
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import httpx

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Request, Timeout, header_refusal
from fruxon_core.tls import TLSSettings

__all__ = ["TRANSPORT_ERRORS", "failure", "httpx_timeout", "map_transport_error"]

#: What a call into httpx can raise (``InvalidURL`` is not a ``RequestError``).
TRANSPORT_ERRORS = (httpx.RequestError, httpx.InvalidURL, httpx.StreamClosed, OSError)

#: Errors raised before anything reached the server.
_NOT_SENT = (
    httpx.ConnectError,
    httpx.ProxyError,
    httpx.UnsupportedProtocol,
    httpx.LocalProtocolError,
    httpx.InvalidURL,
)

H2_MISSING = "HTTP/2 needs the h2 package: pip install 'fruxon-httpx[h2]' (or 'httpx[http2]')"


def map_transport_error(exc: BaseException, request: Request) -> FruxonConnectionError:
    """The SDK exception for an httpx failure (cause not yet chained)."""
    if isinstance(exc, FruxonConnectionError):
        return exc
    reason = str(exc) or type(exc).__name__
    if isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout)):
        return FruxonTimeoutError.connecting(_host(request.url))
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):  # read, write; our deadline
        return FruxonTimeoutError.waiting(detail=reason)
    if isinstance(exc, _NOT_SENT):
        return FruxonConnectionError.cannot_connect(_host(request.url), reason)
    if isinstance(exc, httpx.StreamClosed):
        return FruxonConnectionError.lost("the stream was closed")
    return FruxonConnectionError.lost(reason)


def failure(exc: BaseException, request: Request) -> BaseException:
    """What to raise for an exception out of httpx; call it outside the ``except`` block.

    A header httpx or h11 refused becomes core's ``ValueError`` naming the
    header, never its value, with nothing chained (their messages quote it);
    httpx errors map to connection errors; anything else is raised as it is.
    """
    if isinstance(exc, (ValueError, httpx.LocalProtocolError)):
        refusal = header_refusal(request.headers)
        if refusal is not None:
            return refusal
    if isinstance(exc, TRANSPORT_ERRORS):
        error = map_transport_error(exc, request)
        error.__cause__ = exc
        return error
    return exc


def _host(url: str) -> str:
    return urlsplit(url).netloc.rpartition("@")[2] or "the API"


@functools.lru_cache(maxsize=64)
def _cached_timeout(connect: float | None, read: float | None) -> httpx.Timeout:
    return httpx.Timeout(connect=connect, read=read, write=read, pool=None)


def httpx_timeout(timeout: Timeout, streaming: bool, remaining: float | None) -> httpx.Timeout:
    """httpx's timeouts for one attempt.

    ``connect`` bounds the TCP/TLS handshake, ``read`` (and ``write``) each
    wait on the socket -- for a stream at most ``stream_idle`` too, until the
    head has arrived; ``pool``, waiting for a free connection, is bounded by
    what is left of the call's total deadline.
    """
    read = timeout.head_read(streaming)
    if remaining is None:
        return _cached_timeout(timeout.connect, read)
    return httpx.Timeout(connect=timeout.connect, read=read, write=read, pool=remaining)


def near(timeout: float | None, limit: float | None) -> bool:
    """Whether a read may wait ``limit`` (the request's read timeout) instead of ``timeout``:
    the same, or at most 1 ms + 1 % shorter (the stream's first read, just after the head)."""
    if timeout is None or limit is None:
        return timeout is limit
    return 0 <= limit - timeout <= 0.001 + 0.01 * limit


def headers_of(response: httpx.Response) -> dict[str, str]:
    """Lower-case names; repeated headers joined with ``", "`` (httpx's ``items()``)."""
    return dict(response.headers.items())


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    """Neither store nor send cookies: the Fruxon API authenticates every request itself."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def new_client_options(
    connector_limit: int, http2: bool, tls: TLSSettings | None = None
) -> dict[str, Any]:
    """Keyword arguments of the ``httpx.Client`` / ``AsyncClient`` a transport makes itself.

    Up to ``connector_limit`` connections (``0``: no limit), all kept alive;
    no client-wide timeout (every request carries its own), no redirects;
    ``tls`` applies ``FRUXON_CA_BUNDLE`` / ``FRUXON_INSECURE`` (proxy variables
    apply anyway: httpx trusts the environment).
    """
    if http2:
        require_h2()
    limit = connector_limit or None
    options: dict[str, Any] = {
        "limits": httpx.Limits(max_connections=limit, max_keepalive_connections=limit),
        "http2": http2,
        "timeout": None,
        "follow_redirects": False,
    }
    if tls is not None and not tls.is_default:
        context = tls.ssl_context()
        options["verify"] = context if tls.verify else False
    return options


def refuse_cookies(client: httpx.Client | httpx.AsyncClient) -> None:
    """A client the transport made keeps no state per call: the shared jar refuses cookies."""
    client.cookies.jar.set_policy(_RefuseCookies())


def require_h2() -> None:
    """Raise a clear ``ImportError`` when HTTP/2 was asked for without the ``h2`` extra."""
    try:
        import h2  # noqa: F401
    except ImportError as exc:
        raise ImportError(H2_MISSING) from exc


def current_task() -> object:
    """The running asyncio task or trio task (whichever library runs this code)."""
    try:
        return asyncio.current_task()
    except RuntimeError:
        return _trio().lowlevel.current_task()


def current_loop() -> object:
    """The running asyncio loop, or the running trio run's token."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        pass
    trio = sys.modules.get("trio")
    if trio is not None:
        try:
            return trio.lowlevel.current_trio_token()
        except RuntimeError:
            pass
    raise RuntimeError("the async client needs a running asyncio or trio event loop")


def _trio() -> Any:
    import trio

    return trio


class TimedRead:
    """Stands in for a network stream's ``read`` while one thread reads (see the module doc).

    Each socket read of the owner waits at most until ``deadline``
    (``time.monotonic()``), and no longer than httpcore would have.
    """

    __slots__ = ("deadline", "owner", "read")

    def __init__(self, owner: object, deadline: float) -> None:
        self.owner = owner
        self.deadline = deadline
        self.read: Callable[..., Any] = _unset

    def install(self, network_stream: Any) -> bool:
        """Put this in front of ``network_stream.read``; ``False`` if that cannot be done."""
        attrs = getattr(network_stream, "__dict__", None)
        if attrs is None or not callable(getattr(network_stream, "read", None)):
            return False
        current = attrs.get("read")
        self.read = current.read if isinstance(current, TimedRead) else network_stream.read
        attrs["read"] = self
        return True

    def remove(self, network_stream: Any) -> None:
        attrs = network_stream.__dict__
        if attrs.get("read") is self:
            del attrs["read"]

    def __call__(self, max_bytes: int, timeout: float | None = None) -> Any:
        if threading.get_ident() == self.owner:
            timeout = _wait(self.deadline, timeout)
        return self.read(max_bytes, timeout)


class AsyncTimedRead(TimedRead):
    """:class:`TimedRead` for an async network stream; the owner is a task."""

    __slots__ = ()

    async def __call__(self, max_bytes: int, timeout: float | None = None) -> Any:
        if current_task() is self.owner:
            timeout = _wait(self.deadline, timeout)
        return await self.read(max_bytes, timeout)


def _wait(deadline: float, timeout: float | None) -> float:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("the read ran out of time")
    return left if timeout is None or left < timeout else timeout


def read_within(response: httpx.Response, deadline: float) -> bytes:
    """Read the rest of a streamed body with every socket read over by ``deadline``, and close.

    Without an httpcore network stream to time (a mocked transport), the body
    is read with httpx's own read timeout.
    """
    network = response.extensions.get("network_stream")
    timed = TimedRead(threading.get_ident(), deadline)
    installed = timed.install(network)
    try:
        return response.read()
    finally:
        if installed:
            timed.remove(network)
        response.close()


def _unset(max_bytes: int, timeout: float | None = None) -> Any:
    raise RuntimeError("TimedRead used before install()")
