"""``AiohttpTransport``: the transport contract of :mod:`fruxon_core.transport` on aiohttp.

This is the only module of the async client that touches the network. Every
aiohttp/asyncio/socket failure becomes a :class:`FruxonConnectionError` (or
:class:`FruxonTimeoutError`), with the cause chained and ``request_sent`` set
to whether the server may have seen the request. Stream bodies go through
core's incremental :class:`~fruxon_core.sse.SSEDecoder`, which returns every
event a chunk completed at once.

Response heads may have lines up to :data:`MAX_HEADER_LINE` bytes (aiohttp's
own limit is 8,190, which a large trace or cookie header can pass -- after
the agent already ran), on every request, a caller's session included. A
header aiohttp refuses to send is a ``ValueError`` naming the header, never
its value.

The session is created lazily, inside the running loop (aiohttp sessions
belong to the loop they were created on), and the transport remembers that
loop: a call from any other loop raises :class:`EventLoopMismatchError` at
once instead of hanging on futures of the wrong loop.

The proxy environment (``HTTP(S)_PROXY``, ``NO_PROXY``) and ``~/.netrc``
apply to the session the transport creates, as they would with aiohttp's
``trust_env=True``, but they are read once per origin (see
:class:`_OriginSettings`): ``trust_env`` makes aiohttp read both again on every
request, each in a worker thread -- two thread hand-offs per call, which cost
more than everything else the SDK does for a call. On that session each wait
for response bytes (aiohttp's ``sock_read``) is also timed with one timer per
connection whose deadline moves as bytes arrive (:class:`_LazyReadTimer`),
not with a new timer for every read. A caller's session is used as it is.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import threading
import time
from collections.abc import Mapping
from typing import Any

import aiohttp
import yarl

from fruxon_core.exceptions import (
    ClientClosedError,
    EventLoopMismatchError,
    FruxonConnectionError,
    FruxonTimeoutError,
)
from fruxon_core.http import BodyStream, Request, Response, Timeout, header_refusal, url_host
from fruxon_core.sse import ServerSentEvent, SSEDecoder
from fruxon_core.tls import TLSSettings

__all__ = [
    "MAX_HEADER_LINE",
    "TRANSPORT_ERRORS",
    "AiohttpStreamResponse",
    "AiohttpTransport",
    "ClientClosedError",
    "EventLoopMismatchError",
    "StreamingResponse",
    "client_timeout",
    "map_transport_error",
]

try:  # aiohttp's own readers of the proxy environment and ~/.netrc (what trust_env uses)
    from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
except ImportError:  # pragma: no cover - an aiohttp without them: let trust_env do it
    _READS_ENVIRONMENT = False
else:
    _READS_ENVIRONMENT = True

#: aiohttp >= 3.10 tells a connect timeout (request not sent) from a read timeout.
_CONNECT_TIMEOUTS: tuple[type[BaseException], ...] = tuple(
    cls for cls in (getattr(aiohttp, "ConnectionTimeoutError", None),) if cls is not None
)


def _is_old_connect_timeout(exc: BaseException) -> bool:
    """aiohttp < 3.10 raises a connect timeout as ``ServerTimeoutError("Connection timeout")``."""
    return (
        not _CONNECT_TIMEOUTS
        and isinstance(exc, aiohttp.ServerTimeoutError)
        and str(exc).startswith("Connection timeout")
    )


TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError)

#: What a body read can raise: aiohttp/socket errors, or an error the watchdog set on the body.
_READ_ERRORS = (FruxonConnectionError, *TRANSPORT_ERRORS)

#: The longest response status or header line accepted, in bytes (http.client's limit, which
#: the sync client has too); aiohttp's default is 8,190.
MAX_HEADER_LINE = 65536

_get_ident = threading.get_ident

#: While a read waits, how often the watchdog checks that the connection is still there.
_LIVENESS_CHECK_S = 1.0


def map_transport_error(
    exc: BaseException, request: Request | None = None
) -> FruxonConnectionError:
    """The SDK exception for an aiohttp/asyncio/socket failure (cause not yet chained).

    Connection failures name the operating system's error, not asyncio's
    wording of it; the client words timeouts by the limit that expired.
    """
    if isinstance(exc, FruxonConnectionError):
        return exc
    host = url_host(request.url) if request is not None else ""
    if isinstance(exc, _CONNECT_TIMEOUTS) or _is_old_connect_timeout(exc):
        return FruxonTimeoutError.connecting(host=host)
    if isinstance(exc, asyncio.TimeoutError):  # ServerTimeoutError (sock_read) and total
        return FruxonTimeoutError.waiting()
    if isinstance(exc, aiohttp.ClientConnectorError):
        # refused, DNS, TLS handshake (certificate errors too), proxy: nothing reached the server
        return FruxonConnectionError.cannot_connect(host or f"{exc.host}:{exc.port}", exc)
    if isinstance(exc, aiohttp.InvalidURL):
        return FruxonConnectionError(f"could not connect: {exc}", request_sent=False)
    return FruxonConnectionError.lost(exc)


def _failure(exc: BaseException, request: Request) -> BaseException:
    """What to raise for an exception out of aiohttp; call it outside the ``except`` block.

    A header aiohttp refused to send becomes core's ``ValueError`` naming the
    header (never its value, nothing chained); aiohttp/socket errors map to
    connection errors; anything else is raised as it is.
    """
    if isinstance(exc, ValueError) and not isinstance(exc, TRANSPORT_ERRORS):
        refusal = header_refusal(request.headers)
        if refusal is not None:
            return refusal
    if isinstance(exc, TRANSPORT_ERRORS):
        error = map_transport_error(exc, request)
        error.__cause__ = exc
        return error
    return exc


def client_timeout(
    timeout: Timeout, streaming: bool, remaining: float | None
) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for one attempt.

    ``connect`` bounds the TCP/TLS handshake (``sock_connect``), ``read`` each
    wait for bytes (``sock_read``; for a stream head at most ``stream_idle``).
    ``remaining`` -- what is left of the call's total deadline -- bounds a
    whole plain request, but for a stream only getting a connection (a pool
    slot included): once events flow, the stream's idle clock governs.
    """
    return aiohttp.ClientTimeout(
        total=None if streaming else remaining,
        connect=remaining if streaming else None,
        sock_connect=timeout.connect,
        sock_read=timeout.head_read(streaming),
    )


#: Without a total deadline the answer depends on the client's settings only: cache it.
_timeout_without_deadline = functools.lru_cache(maxsize=64)(client_timeout)


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


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


try:  # aiohttp's protocol for a client connection, with its per-read (sock_read) timer
    from aiohttp.client_proto import ResponseHandler as _ResponseHandler
except ImportError:  # pragma: no cover - laid out differently: aiohttp's own timer it is
    _ResponseHandler = None  # type: ignore[assignment,misc]

#: Whether aiohttp's sock_read timer can be re-armed lazily (see _LazyReadTimer).
_LAZY_READ_TIMER = _ResponseHandler is not None and all(
    hasattr(_ResponseHandler, name)
    for name in ("_reschedule_timeout", "_drop_timeout", "_on_read_timeout", "connection_lost")
)

#: How early (seconds) a lazily re-armed read timer may count its deadline as passed.
_TIMER_SLACK_S = 0.001


class _LazyReadTimer(_ResponseHandler if _LAZY_READ_TIMER else object):  # type: ignore[misc]
    """aiohttp's response protocol with the ``sock_read`` timer re-armed lazily.

    aiohttp bounds each wait for response bytes by cancelling its timer and
    scheduling a new one whenever bytes arrive, and again when the request is
    sent: two timer handles, two cancellations and their heap entries per
    request -- more than everything else the client does for a call. Here each
    of those moves a deadline instead, and one timer handle per connection,
    armed only when none is (or the new deadline is earlier than its), checks
    the deadline when it fires: expired, the read times out as aiohttp's would
    (``_on_read_timeout``); not yet, it re-arms for the deadline. The limit and
    when it expires are aiohttp's; only the bookkeeping differs.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__(loop)
        self._fx_deadline: float | None = None
        self._fx_handle: asyncio.TimerHandle | None = None
        self._fx_when = 0.0

    def _reschedule_timeout(self) -> None:
        timeout = self._read_timeout
        if not timeout:
            self._fx_deadline = None
            return
        loop = self._loop
        deadline = self._fx_deadline = loop.time() + timeout
        handle = self._fx_handle
        if handle is None or self._fx_when > deadline:
            if handle is not None:
                handle.cancel()
            self._fx_when = deadline
            self._fx_handle = loop.call_at(deadline, self._fx_expire)

    def _drop_timeout(self) -> None:
        self._fx_deadline = None

    def _fx_expire(self) -> None:
        self._fx_handle = None
        deadline = self._fx_deadline
        if deadline is None:
            return
        loop = self._loop
        if deadline - loop.time() > _TIMER_SLACK_S:  # bytes came meanwhile: wait on
            self._fx_when = deadline
            self._fx_handle = loop.call_at(deadline, self._fx_expire)
            return
        self._fx_deadline = None
        self._on_read_timeout()

    def connection_lost(self, exc: BaseException | None) -> None:
        handle, self._fx_handle = self._fx_handle, None
        if handle is not None:
            handle.cancel()
        super().connection_lost(exc)


def _use_lazy_read_timer(connector: aiohttp.TCPConnector, loop: asyncio.AbstractEventLoop) -> None:
    """Have ``connector`` make :class:`_LazyReadTimer` protocols (when aiohttp allows it)."""
    if _LAZY_READ_TIMER and isinstance(getattr(connector, "_factory", None), functools.partial):
        connector._factory = functools.partial(_LazyReadTimer, loop=loop)  # type: ignore[assignment]


class AiohttpStreamResponse:
    """An open streamed response: the head now, the body as events decoded by core's SSEDecoder.

    Every wait for body bytes is bounded here (see :class:`_ReadWatchdog`):
    when the wait's limit passes, or the connection is found gone while the
    body was neither ended nor failed, the waiting read is cancelled and the
    cancellation becomes the error -- it never depends on aiohttp waking the
    reader.
    """

    __slots__ = (
        "_decoder",
        "_eof",
        "_response",
        "_watchdog",
        "content",
        "headers",
        "loop",
        "reason",
        "request",
        "status",
    )

    def __init__(self, response: aiohttp.ClientResponse, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status
        self.reason = response.reason or ""
        self.headers = _headers(response.headers)
        self.content = response.content
        self.loop = asyncio.get_running_loop()
        self._decoder = SSEDecoder()
        self._eof = False
        self._watchdog: _ReadWatchdog | None = None

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    async def read_all(self) -> Response:
        """Read the rest of the body (error statuses), bounded as a whole by the head's limit."""
        limit = self.request.timeout.head_read(True)
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

    async def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        if self._eof:
            return None
        chunk = await self._next_chunk(timeout)
        if chunk:
            return self._decoder.feed(chunk)
        self._eof = True
        return self._decoder.close()

    async def read_bytes(self, timeout: float | None) -> bytes | None:
        """The next piece of the body as it arrived, ``None`` at its end (downloads)."""
        if self._eof:
            return None
        chunk = await self._next_chunk(timeout)
        if chunk:
            return chunk
        self._eof = True
        return None

    async def _next_chunk(self, timeout: float | None) -> bytes:
        """The next piece of the body, ``b""`` at its end; ``timeout`` bounds the wait."""
        watchdog = self._watchdog
        if watchdog is None:
            watchdog = self._watchdog = _ReadWatchdog(self)
            self._use_body_read_timeout()
        watchdog.start_wait(timeout)
        try:
            chunk = await self.content.readany()
        except asyncio.CancelledError:
            error = watchdog.claim_cancellation()
            if error is None:
                raise  # cancelled by the caller: not ours to turn into an error
            raise error from error.__cause__
        except (*_READ_ERRORS, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and self.is_connected():
                raise  # not a lost connection: a usage error such as two concurrent readers
            # (aiohttp raises RuntimeError("Connection closed.") for a read begun on a
            # connection that is gone without the body having been ended or failed)
            error = map_transport_error(exc)
            if error is not exc:
                raise error from exc
            raise
        finally:
            watchdog.end_wait()
        return chunk

    def _use_body_read_timeout(self) -> None:
        """From now on bound each socket read by ``Timeout.read`` alone.

        The head was awaited with at most ``stream_idle``; between body chunks
        the stream-idle rule is the client's idle clock, applied by the watchdog.
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

    async def finish(self) -> None:
        """After the terminal event, give the end of the body a moment to arrive.

        The server sends it right after ``done``; if it is already in the
        socket buffer, two turns of the loop read it and aiohttp pools the
        connection for the next request. Otherwise the connection is closed.
        """
        self._stop_watchdog()
        for _ in range(3):
            if self.content.is_eof():
                self._response.release()
                return
            await asyncio.sleep(0)
        self.close()

    def close(self) -> None:
        """Close the connection now; from another thread, on the response's own loop."""
        loop = self.loop
        if loop.is_closed() or _running_loop() is loop:
            self._close_here()
        else:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(self._close_here)

    def _close_here(self) -> None:
        watchdog = self._watchdog
        if watchdog is not None and watchdog.waiting:  # a read in another task must not outlive us
            watchdog.fail(FruxonConnectionError("the stream was closed while a read was waiting"))
        self._stop_watchdog()
        self._response.close()

    def _stop_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()


#: The name this class had before the transport contract (kept for one release).
StreamingResponse = AiohttpStreamResponse


class _ReadWatchdog:
    """Bounds every wait for body bytes, whatever aiohttp does or fails to do.

    The client's idle clock says how long each read may wait; while a read
    waits, the connection is also looked at every ``_LIVENESS_CHECK_S``: gone,
    with the body neither ended nor failed, is a :class:`FruxonConnectionError`.

    When one of these happens the timer *cancels the waiting task*, and the
    read turns that cancellation into the error (:meth:`claim_cancellation`).
    Waking the reader through aiohttp is not enough: its ``sock_read`` timer
    is dropped while reading is paused, on EOF and when the connection is
    closed, and a connection closed under a pending read (``session.close()``,
    the pool) leaves the body waiting forever. One timer handle, re-armed
    lazily, keeps the per-chunk cost to a few attribute writes.
    """

    __slots__ = (
        "_cancelling",
        "_deadline",
        "_failure",
        "_handle",
        "_limit",
        "_loop",
        "_response",
        "_task",
        "waiting",
    )

    def __init__(self, response: AiohttpStreamResponse) -> None:
        self._response = response
        self._loop = response.loop
        self._deadline = float("inf")
        self._limit: float | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._failure: FruxonConnectionError | None = None
        self._cancelling = 0
        self.waiting = False

    def start_wait(self, limit: float | None) -> None:
        """A read of the current task is about to wait at most ``limit`` seconds."""
        if self.waiting:
            raise RuntimeError("another coroutine is already reading this stream")
        loop = self._loop
        now = loop.time()
        self._limit = limit
        self._deadline = float("inf") if limit is None else now + limit
        self._task = asyncio.current_task(loop)
        self.waiting = True
        if self._handle is None:
            self._handle = loop.call_at(min(self._deadline, now + _LIVENESS_CHECK_S), self._fire)

    def end_wait(self) -> None:
        self.waiting = False
        self._task = None

    def _fire(self) -> None:
        self._handle = None
        if not self.waiting:
            return  # the consumer is busy with events; its next read re-arms
        loop = self._loop
        now = loop.time()
        response = self._response
        content = response.content
        failed = content.exception()
        if failed is None and not content.is_eof() and not response.is_connected():
            # gone without aiohttp ending or failing the body: nothing will wake the read
            self.fail(
                FruxonConnectionError("the connection was lost while waiting for stream data")
            )
            return
        deadline = self._deadline
        if deadline - now > 0.001:
            self._handle = loop.call_at(min(deadline, now + _LIVENESS_CHECK_S), self._fire)
        elif failed is not None:  # aiohttp failed the body, but the read has not run yet
            error = map_transport_error(failed)
            error.__cause__ = failed
            self.fail(error)
        else:
            self.fail(FruxonTimeoutError.waiting(self._limit))

    def fail(self, error: FruxonConnectionError) -> None:
        """Make the waiting read raise ``error``; nothing happens when no read waits."""
        if not self.waiting or self._failure is not None:
            return
        self._failure = error
        task = self._task
        if task is not None:
            cancelling = getattr(task, "cancelling", None)  # Python 3.11+
            self._cancelling = cancelling() if cancelling is not None else 0
            task.cancel()
        else:  # a read not driven by a task (a coroutine stepped by hand): wake it via aiohttp
            self._response.content.set_exception(error)

    def claim_cancellation(self) -> FruxonConnectionError | None:
        """The error :meth:`fail` decided on for the failed read, or ``None`` if it did not.

        Takes back the cancellation :meth:`fail` requested (``Task.uncancel``,
        Python 3.11+, as ``asyncio.timeout`` does), so the task's cancel scopes
        are undisturbed; if the task was also cancelled from outside meanwhile,
        returns ``None``: that cancellation wins. (Python 3.10 cannot tell the
        two apart; there the read's error wins.)
        """
        error, self._failure = self._failure, None
        task = self._task
        if error is None or task is None:
            return error
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None and uncancel() > self._cancelling:
            return None
        return error

    def cancel(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()


def _data(body: bytes | BodyStream | None) -> Any:
    """``request.body`` as aiohttp's ``data=``: bytes as they are, a stream as an async iterable.

    aiohttp sends an async iterable with chunked transfer encoding unless the
    request has a ``Content-Length`` header, which a body of known size does.
    """
    if not isinstance(body, BodyStream):
        return body
    return body.achunks(asyncio.to_thread)


class _OriginSettings:
    """What ``trust_env`` would have aiohttp look up for each request to one origin.

    The proxy (from ``HTTP(S)_PROXY`` unless ``NO_PROXY`` exempts the host),
    with its credentials -- from its URL or ``~/.netrc`` -- kept in the URL,
    where aiohttp finds them as it finds its own; and the ``Authorization``
    header ``~/.netrc`` gives the host, which aiohttp adds to a request that
    has none (a request's own ``Authorization`` wins).
    """

    __slots__ = ("authorization", "proxy")

    def __init__(self, proxy: yarl.URL | None, authorization: str | None) -> None:
        self.proxy = proxy
        self.authorization = authorization

    @classmethod
    def read(cls, url: str) -> _OriginSettings:
        """Read the environment and ``~/.netrc`` (blocking: run it in a worker thread)."""
        target = yarl.URL(url)
        proxy: yarl.URL | None = None
        with contextlib.suppress(LookupError):
            proxy, proxy_auth = get_env_proxy_for_url(target)
            if proxy_auth is not None:
                proxy = proxy.with_user(proxy_auth.login).with_password(proxy_auth.password)
        authorization: str | None = None
        if target.host is not None:
            with contextlib.suppress(LookupError):
                authorization = basicauth_from_netrc(netrc_from_env(), target.host).encode()
        return cls(proxy, authorization)

    def headers(self, headers: Mapping[str, str]) -> Mapping[str, str]:
        if self.authorization is None or any(k.lower() == "authorization" for k in headers):
            return headers
        return {**headers, "Authorization": self.authorization}


#: Origins whose settings a transport remembers (then it reads them again), and URLs.
_MAX_ORIGINS = 256
_MAX_URLS = 1024

#: How a transport sends without reading the environment: no proxy, no ~/.netrc entry.
_AS_IS = _OriginSettings(None, None)


def _origin(url: str) -> str:
    """``scheme://host[:port]`` of an absolute URL."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


class AiohttpTransport:
    """Sends :class:`Request` values with one ``aiohttp.ClientSession``, created on first use."""

    name = "aiohttp"
    version = aiohttp.__version__  # (importlib.metadata would cost ~1 MiB and ~8 ms to import)

    def __init__(
        self,
        session: aiohttp.ClientSession | None = None,
        *,
        connector_limit: int = 100,
        tls: TLSSettings | None = None,
    ) -> None:
        if connector_limit < 0:
            raise ValueError("connector_limit must be >= 0 (0 means no limit)")
        # TCPConnector(ssl=...): a context, or False; left out for aiohttp's own checks (its
        # default differs between versions, and before 3.10 ssl=True meant *no* verification)
        self._connector_options: dict[str, Any] = {}
        if session is None and tls is not None and not tls.is_default:
            context = tls.ssl_context()  # (the one-time warning when insecure)
            self._connector_options["ssl"] = context if tls.verify else False
        self._session = session
        self._owns_session = session is None
        #: per origin: the proxy and ~/.netrc settings (none for a caller's session)
        self._origins: dict[str, _OriginSettings] = {}
        self._by_url: dict[str, _OriginSettings] = {}  # the same, per URL sent to
        #: per streaming flag: the client's Timeout and aiohttp's ClientTimeout for it
        self._timeouts: list[tuple[Timeout, aiohttp.ClientTimeout] | None] = [None, None]
        self._reads_environment = session is None and _READS_ENVIRONMENT
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
        if self._session is None or not self._on_session_loop():
            self._session_for_this_loop()

    def _on_session_loop(self) -> bool:
        """Whether this runs on the session's loop, told without ``asyncio.get_running_loop``.

        That makes a ``getpid()`` system call each time (it checks the loop
        was not inherited through a fork), twice a call here. A loop records
        the thread it runs in while it runs, and a thread runs one loop at a
        time: when the session's loop records this thread, it is the running
        loop. A loop that records nothing (not asyncio's own) is asked the
        usual way.
        """
        loop = self._loop
        thread: int | None = getattr(loop, "_thread_id", None)
        if thread is not None:
            return thread == _get_ident()
        return loop is not None and loop is _running_loop()

    def _session_for_this_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        session = self._session
        if session is not None and loop is self._loop:
            return session
        if self._closed:
            raise ClientClosedError("this AsyncFruxonClient is closed")
        if self._loop is not None and loop is not self._loop:
            raise EventLoopMismatchError.bound_elsewhere("aiohttp session")
        self._loop = loop
        if session is None:
            # HTTP(S)_PROXY / NO_PROXY and ~/.netrc apply, as with trust_env=True, read by
            # _origin_settings once per origin (trust_env itself only without aiohttp's helpers)
            connector = aiohttp.TCPConnector(limit=self._connector_limit, **self._connector_options)
            _use_lazy_read_timer(connector, loop)
            session = self._session = aiohttp.ClientSession(
                connector=connector, trust_env=not self._reads_environment
            )
        return session

    async def _read_origin_settings(self, url: str) -> _OriginSettings:
        """The proxy and ``~/.netrc`` settings for ``url``'s origin, read on its first request.

        ``send`` looks them up by URL first (the same URL strings recur: one
        per agent and operation); for a caller's session there are none, its
        own settings apply.
        """
        origin = _origin(url)
        settings = self._origins.get(origin)
        if settings is None:
            if self._reads_environment:
                settings = await asyncio.to_thread(_OriginSettings.read, url)
            else:
                settings = _AS_IS
            if len(self._origins) >= _MAX_ORIGINS:  # (downloads may come from many hosts)
                self._origins.clear()
            self._origins[origin] = settings
        if len(self._by_url) >= _MAX_URLS:
            self._by_url.clear()
        self._by_url[url] = settings
        return settings

    def _client_timeout(
        self, timeout: Timeout, streaming: bool, remaining: float | None
    ) -> aiohttp.ClientTimeout:
        """aiohttp's timeouts for one attempt (:func:`client_timeout`), remembered per setting."""
        if remaining is not None:
            return client_timeout(timeout, streaming, remaining)
        cached = self._timeouts[streaming]
        if cached is not None and cached[0] is timeout:
            return cached[1]
        found = _timeout_without_deadline(timeout, streaming, None)
        self._timeouts[streaming] = (timeout, found)
        return found

    def _send_args(
        self, request: Request, origin: _OriginSettings, streaming: bool, remaining: float | None
    ) -> tuple[aiohttp.ClientSession, Mapping[str, str], aiohttp.ClientTimeout]:
        """The session, headers and timeouts ``session.request`` gets for ``request``."""
        session = self._session
        if session is None or not self._on_session_loop():
            session = self._session_for_this_loop()
        headers = request.headers
        if origin.authorization is not None:
            headers = origin.headers(headers)
        return session, headers, self._client_timeout(request.timeout, streaming, remaining)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)

    async def send(self, request: Request, remaining: float | None) -> Response:
        origin = self._by_url.get(request.url) or await self._read_origin_settings(request.url)
        # (_send_args, _client_timeout and _data written out: this runs on every call)
        session = self._session
        if session is None or not self._on_session_loop():
            session = self._session_for_this_loop()
        headers = request.headers
        if origin.authorization is not None:
            headers = origin.headers(headers)
        cached = self._timeouts[False]
        if remaining is None and cached is not None and cached[0] is request.timeout:
            timeout = cached[1]
        else:
            timeout = self._client_timeout(request.timeout, False, remaining)
        data = request.body
        started = time.monotonic()  # (what loop.time() returns, without its Python frame)
        failure: BaseException | None = None
        try:  # (not a context manager: this runs on every call)
            async with session.request(
                request.method,
                request.url,
                headers=headers,
                proxy=origin.proxy,
                data=data if type(data) is bytes else _data(data),
                timeout=timeout,
                allow_redirects=False,
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
            ) as response:
                body = await response.read()
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            failure = exc
        if failure is not None:
            raise _failure(failure, request)
        return Response(
            response.status,
            _headers(response.headers),
            body,
            request,
            response.reason or "",
            time.monotonic() - started,
        )

    async def open_stream(self, request: Request, remaining: float | None) -> AiohttpStreamResponse:
        origin = self._by_url.get(request.url) or await self._read_origin_settings(request.url)
        session, headers, timeout = self._send_args(request, origin, True, remaining)
        failure: BaseException | None = None
        try:
            response = await session.request(
                request.method,
                request.url,
                headers=headers,
                proxy=origin.proxy,
                data=_data(request.body),
                timeout=timeout,
                allow_redirects=False,
                max_line_size=MAX_HEADER_LINE,
                max_field_size=MAX_HEADER_LINE,
            )
        except (*TRANSPORT_ERRORS, ValueError) as exc:
            failure = exc
        if failure is not None:
            raise _failure(failure, request)
        return AiohttpStreamResponse(response, request)

    async def aclose(self) -> None:
        """Close the session if this transport created it; a caller's session is left open."""
        self._closed = True
        session, self._session = self._session, None
        if session is None or not self._owns_session:
            return
        loop = asyncio.get_running_loop()
        if self._loop is not None and loop is not self._loop and not self._loop.is_closed():
            self._session = session
            self._closed = False
            raise EventLoopMismatchError.closing_elsewhere()
        if self._loop is not None and self._loop.is_closed():
            session.detach()  # its loop is gone; nothing left that could be closed cleanly
            return
        await session.close()
