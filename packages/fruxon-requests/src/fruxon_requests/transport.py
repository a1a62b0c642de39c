"""Moves request values over a ``requests.Session`` and maps its failures.

This is the only module that touches the network for the sync client. Every
requests/urllib3 exception becomes a :class:`FruxonConnectionError` (or
:class:`FruxonTimeoutError`), with the cause chained and ``request_sent`` set
to whether the server may have seen the request.
"""

from __future__ import annotations

import functools
import http.cookiejar
import os
import socket
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import requests
import requests.adapters
import urllib3.exceptions

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Request, Response

__all__ = ["RequestsTransport", "StreamingResponse", "map_transport_error", "new_session"]

#: Upper bound of one ``read1``: whatever the socket has, up to this much.
READ_SIZE = 65536

#: Returns the timeout for the next body read (``None``: no limit), or raises.
NextReadTimeout = Callable[[], "float | None"]


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
    if isinstance(
        exc,
        (requests.exceptions.ReadTimeout, urllib3.exceptions.ReadTimeoutError, TimeoutError),
    ):
        return FruxonTimeoutError(f"timed out waiting for the server: {exc}")
    if isinstance(exc, requests.exceptions.ConnectionError) and _not_sent(exc):
        return FruxonConnectionError(
            f"could not connect to {_host(exc)}: {_root_reason(exc)}", request_sent=False
        )
    return FruxonConnectionError(f"connection failed: {_root_reason(exc)}")


def _root_reason(exc: BaseException) -> str:
    """The innermost socket error (``[Errno 111] Connection refused``), not urllib3's wrapping."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, OSError) and current.strerror:
            return f"[Errno {current.errno}] {current.strerror}"
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException) and current.args:
            inner = current.args[0] if isinstance(current.args[0], BaseException) else None
        current = inner or current.__cause__ or current.__context__
    return str(exc)


def _host(exc: requests.exceptions.RequestException) -> str:
    request = exc.request
    url = getattr(request, "url", None) or ""
    return url.split("://", 1)[-1].split("/", 1)[0] or "the API"


def _not_sent(exc: requests.exceptions.ConnectionError) -> bool:
    """True for failures before the request left: refused, DNS, proxy, TLS handshake."""
    reason: Any = exc.args[0] if exc.args else None
    reason = getattr(reason, "reason", reason)
    return isinstance(
        reason,
        (
            urllib3.exceptions.NewConnectionError,
            urllib3.exceptions.NameResolutionError,
            urllib3.exceptions.ProxyError,
            urllib3.exceptions.SSLError,
            ConnectionRefusedError,
        ),
    )


@contextmanager
def _mapped_errors() -> Iterator[None]:
    try:
        yield
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise map_transport_error(exc) from exc


def _lower(headers: Any) -> dict[str, str]:
    """A response's headers with lower-case names (requests keeps them lower-cased already)."""
    return dict(headers.lower_items())


class StreamingResponse:
    """An open streamed response: status and headers now, body bytes as they arrive."""

    def __init__(self, response: requests.Response, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason or ""
        self.headers = _lower(response.headers)

    def read_all(self) -> Response:
        """Read the rest of the body into a :class:`Response` (used for error statuses)."""
        try:
            with _mapped_errors():
                body = self._response.content
        finally:
            self.close()
        return Response(self.status, self.headers, body, self.request, self.reason)

    def head(self) -> Response:
        """Status and headers as a body-less :class:`Response`, for hooks."""
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def iter_chunks(self, next_read_timeout: NextReadTimeout | None = None) -> Iterator[bytes]:
        """Body bytes as soon as they arrive, never waiting for more than one frame's worth.

        ``next_read_timeout`` is asked before every read after the first; its
        answer becomes the socket timeout of that read, so a deadline that
        shrinks while only keep-alive comments arrive is enforced on the wire,
        not after the fact.
        """
        raw = self._response.raw
        sock = _socket_of(raw) if next_read_timeout is not None else None
        current = _timeouts(self.request, streaming=True)[1]
        with _mapped_errors():
            for chunk in _body_chunks(raw):
                yield chunk
                if sock is not None and next_read_timeout is not None:
                    wanted = next_read_timeout()
                    if wanted != current and _differs(wanted, current):
                        sock.settimeout(wanted)
                        current = wanted

    def close(self) -> None:
        """Release the connection. A body not read to the end is discarded with the socket."""
        self._response.close()


def _body_chunks(raw: Any) -> Iterator[bytes]:
    """The body's bytes, each piece handed over as soon as it has arrived.

    A chunked body is read one HTTP chunk at a time with ``read_chunked``, which
    yields each chunk once it is complete; any other body -- close-delimited or
    with a Content-Length -- with ``read1``, which returns whatever the socket
    has. Neither waits for bytes beyond what arrived. ``read_chunked`` is used
    where it applies because urllib3's ``read1`` costs about twice as much per
    call, which dominates when every event arrives in a chunk of its own.
    """
    if raw.chunked and raw.supports_chunked_reads():
        return raw.read_chunked(decode_content=True)  # type: ignore[no-any-return]
    return iter(functools.partial(raw.read1, READ_SIZE, decode_content=True), b"")


def _socket_of(raw: Any) -> socket.socket | None:
    """The socket under a urllib3 response, while the response still holds its connection."""
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _differs(wanted: float | None, current: float | None) -> bool:
    """Whether a new socket timeout is worth a ``settimeout`` call (1 ms / 1 % tolerance)."""
    if wanted is None or current is None:
        return wanted is not current
    return abs(wanted - current) > 0.001 + 0.01 * current


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    """Neither store nor send cookies: the Fruxon API authenticates every request itself."""

    def set_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False

    def return_ok(self, cookie: http.cookiejar.Cookie, request: Any) -> bool:
        return False


def new_session() -> requests.Session:
    """The ``requests.Session`` a client makes for itself: pooled, and stateless per call.

    requests stores every ``Set-Cookie`` in ``session.cookies`` and iterates that
    jar, unlocked, while preparing each request. With cookies refused the
    session is never written to after construction, which is what makes one
    session safe to share between threads (see :class:`RequestsTransport`).
    """
    session = requests.Session()
    session.cookies.set_policy(_RefuseCookies())
    return session


def _renew_pools(session: requests.Session) -> None:
    """Give a caller's session fresh, empty connection pools (after a fork).

    The old pools are dropped, not closed: closing takes their locks, which a
    thread of the parent may have held at the moment of the fork.
    """
    for adapter in session.adapters.values():
        if isinstance(adapter, requests.adapters.HTTPAdapter):
            adapter.init_poolmanager(
                getattr(adapter, "_pool_connections", requests.adapters.DEFAULT_POOLSIZE),
                getattr(adapter, "_pool_maxsize", requests.adapters.DEFAULT_POOLSIZE),
                block=getattr(adapter, "_pool_block", requests.adapters.DEFAULT_POOLBLOCK),
            )
            adapter.proxy_manager = {}


class RequestsTransport:
    """Sends :class:`Request` values with a pooled ``requests.Session``.

    **Threads.** One transport (and so one client) is shared by all the threads
    of a service. requests does not document ``Session`` as thread-safe, so the
    client keeps to the part that is: urllib3's ``PoolManager`` and connection
    pools are (a lock and a thread-safe queue; each connection is checked out
    by one request at a time), and the client never writes session state per
    call -- headers, auth and timeouts travel with each request, and the
    session it creates refuses cookies (:func:`new_session`), the one thing
    requests itself would write. One shared pool was chosen over a session per
    thread (``threading.local``) because it keeps connection reuse across
    threads and thread pools, works with a ``session=`` the caller passes in,
    and leaves nothing to clean up when threads end. A session the caller
    passes in is used as is: keep it free of per-call mutation (and cookies)
    if it is shared between threads.

    **Processes.** A forked child (gunicorn, uWSGI, Celery prefork,
    ``multiprocessing``) must not use the sockets it inherited, which the
    parent is still using. The transport notices the new process id on its
    next use: its own session is replaced, a caller's session keeps its
    adapters and settings but gets new, empty pools.
    """

    def __init__(self, session: requests.Session | None = None) -> None:
        self._owns_session = session is None
        self._session = new_session() if session is None else session
        self._pid = os.getpid()

    @property
    def session(self) -> requests.Session:
        """The session for this process: renewed on first use after a fork."""
        if self._pid != os.getpid():
            self._after_fork()
        return self._session

    def close(self) -> None:
        """Close the session and every pooled connection now.

        urllib3 2 no longer closes pools when a session is closed, it only
        forgets them, so their idle connections would stay open until garbage
        collection got to them; closing each pool first makes ``close()`` final.
        """
        session = self.session
        for adapter in session.adapters.values():
            if isinstance(adapter, requests.adapters.HTTPAdapter):
                for manager in (adapter.poolmanager, *adapter.proxy_manager.values()):
                    pools = manager.pools
                    for key in list(pools.keys()):
                        pool = pools.get(key)
                        if pool is not None:
                            pool.close()
        session.close()

    def _after_fork(self) -> None:
        if self._owns_session:
            self._session = new_session()
        else:
            _renew_pools(self._session)
        self._pid = os.getpid()

    def send(self, request: Request) -> Response:
        started = time.monotonic()
        with _mapped_errors():
            response = self.session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=_timeouts(request, streaming=False),
                allow_redirects=False,
            )
            body = response.content
        return Response(
            response.status_code,
            _lower(response.headers),
            body,
            request,
            response.reason or "",
            time.monotonic() - started,
        )

    def open_stream(self, request: Request) -> StreamingResponse:
        with _mapped_errors():
            response = self.session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=request.body,
                timeout=_timeouts(request, streaming=True),
                stream=True,
                allow_redirects=False,
            )
        return StreamingResponse(response, request)
