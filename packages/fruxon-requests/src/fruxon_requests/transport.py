"""``RequestsTransport``: the transport contract of :mod:`fruxon_core.transport` on requests.

This is the only module that touches the network for the sync client. It
moves request values over a pooled ``requests.Session``, parses stream bodies
with sseclient-py (:mod:`fruxon_requests.sse_feed`) and sleeps with
``time.sleep``. Every requests/urllib3 exception becomes a
:class:`FruxonConnectionError` (or :class:`FruxonTimeoutError`), with the cause
chained and ``request_sent`` set to whether the server may have seen the request
-- except a header the library refuses, which is a ``ValueError`` that never
shows the value (and chains nothing that would).

Interim ``1xx`` answers (``102 Processing``, ``103 Early Hints``) are skipped
on the sessions this module creates (:class:`FruxonHTTPAdapter`); http.client
alone skips only ``100 Continue``.
"""

from __future__ import annotations

import functools
import http.client
import http.cookiejar
import os
import socket
import time
import warnings
from collections.abc import Iterable, Iterator
from typing import Any

import requests
import requests.adapters
import urllib3
import urllib3.connection
import urllib3.exceptions

from fruxon_core.exceptions import ClientClosedError, FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import BodyStream, Request, Response, header_refusal, url_host
from fruxon_core.sse import ServerSentEvent
from fruxon_core.tls import TLSSettings

from .sse_feed import SSEClientParser

__all__ = [
    "FruxonHTTPAdapter",
    "RequestsStreamResponse",
    "RequestsTransport",
    "StreamingResponse",
    "map_transport_error",
    "new_session",
]

#: Upper bound of one ``read1``: whatever the socket has, up to this much.
READ_SIZE = 65536

#: After a stream's terminal event, how long to wait for the end of its body (so the
#: connection can be reused) before closing the connection instead.
END_OF_BODY_GRACE = 0.01

#: What a call into requests/urllib3 can raise.
_LIBRARY_ERRORS = (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError)
#: ... and what sending can raise when a header is refused (requests' InvalidHeader is one too).
_SEND_ERRORS = (*_LIBRARY_ERRORS, ValueError)

_READ_TIMEOUTS = (
    requests.exceptions.ReadTimeout,
    urllib3.exceptions.ReadTimeoutError,
    TimeoutError,
)


def map_transport_error(exc: BaseException) -> FruxonConnectionError:
    """The SDK exception for a requests/urllib3/socket failure (cause not yet chained).

    Connection failures name the operating system's error, not urllib3's
    wrapping (``HTTPConnectionPool(...): Max retries exceeded``); the client
    words timeouts by the limit that expired.
    """
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return FruxonTimeoutError.connecting(host=_host(exc))
    if isinstance(exc, _READ_TIMEOUTS):
        return FruxonTimeoutError.waiting()
    wrapped = exc.args[0] if exc.args else None
    if isinstance(exc, requests.exceptions.ConnectionError) and isinstance(wrapped, _READ_TIMEOUTS):
        # requests re-wraps a read timeout in the body as a ConnectionError
        return FruxonTimeoutError.waiting()
    if isinstance(exc, requests.exceptions.ConnectionError) and _not_sent(exc):
        return FruxonConnectionError.cannot_connect(_host(exc), exc)
    return FruxonConnectionError.lost(exc)


def _host(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    return url_host(getattr(request, "url", None) or "")


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


def _failure(exc: BaseException, request: Request) -> BaseException:
    """What to raise for an exception out of requests; call it outside the ``except`` block.

    A refused header becomes core's ``ValueError`` naming the header, never its
    value, with no cause or context (requests' and http.client's messages quote
    the value); library errors map to connection errors; anything else is
    raised as it is.
    """
    if isinstance(exc, ValueError):
        refusal = header_refusal(request.headers)
        if refusal is None and isinstance(exc, requests.exceptions.InvalidHeader):
            refusal = ValueError(
                "requests refused a request header (the value is not shown); header values "
                "are visible ASCII, spaces and tabs"
            )
        if refusal is not None:
            return refusal
    if isinstance(exc, _LIBRARY_ERRORS):
        error = map_transport_error(exc)
        error.__cause__ = exc
        return error
    return exc


def _read_within(response: requests.Response, request: Request, deadline: float) -> bytes:
    """Read a body to its end, never waiting past ``deadline`` (``time.monotonic()``).

    Each read takes what the socket has (``read1``) and waits at most
    ``Timeout.read`` or what is left of the deadline, so a body that trickles
    in a byte at a time cannot hold the call past ``Timeout.total``.
    """
    raw = response.raw
    sock = _socket_of(raw)
    read = request.timeout.read
    current: float | None = request.timeout.read
    parts: list[bytes] = []
    while True:
        left = deadline - time.monotonic()
        if left <= 0.001:
            raise FruxonTimeoutError.deadline(request.timeout.total, request_sent=True)
        wait = left if read is None or left < read else read
        if sock is not None and _differs(wait, current):
            sock.settimeout(wait)
            current = wait
        piece = raw.read1(READ_SIZE, decode_content=True)
        if not piece:
            return b"".join(parts)
        parts.append(piece)


def _lower(headers: Any) -> dict[str, str]:
    """A response's headers with lower-case names (requests keeps them lower-cased already)."""
    return dict(headers.lower_items())


class RequestsStreamResponse:
    """An open streamed response: the head now, the body as events parsed by sseclient-py."""

    __slots__ = (
        "_chunks",
        "_eof",
        "_parser",
        "_response",
        "_sock",
        "_sock_timeout",
        "headers",
        "reason",
        "request",
        "status",
    )

    def __init__(self, response: requests.Response, request: Request) -> None:
        self._response = response
        self.request = request
        self.status = response.status_code
        self.reason = response.reason or ""
        self.headers = _lower(response.headers)
        self._chunks: Iterator[bytes] | None = None
        self._parser = SSEClientParser()
        self._sock: socket.socket | None = None
        self._sock_timeout = request.timeout.head_read(True)
        self._eof = False

    def head(self) -> Response:
        return Response(self.status, self.headers, b"", self.request, self.reason)

    def read_all(self) -> Response:
        try:
            body = self._response.content
        except _LIBRARY_ERRORS as exc:
            raise map_transport_error(exc) from exc
        finally:
            self.close()
        return Response(self.status, self.headers, body, self.request, self.reason)

    def read_events(self, timeout: float | None) -> list[ServerSentEvent] | None:
        """The events of the next body chunk; ``timeout`` becomes the socket's timeout.

        Setting it before every read (when it changed by more than 1 ms / 1 %)
        enforces a deadline that shrinks while only keep-alive comments
        arrive on the wire, not after the fact.
        """
        if self._eof:
            return None
        chunk = self._next_chunk(timeout)
        if chunk:
            return self._parser.feed(chunk)
        self._eof = True
        return self._parser.close()

    def read_bytes(self, timeout: float | None) -> bytes | None:
        """The next piece of the body as it arrived, ``None`` at its end (downloads)."""
        if self._eof:
            return None
        chunk = self._next_chunk(timeout)
        if chunk:
            return chunk
        self._eof = True
        return None

    def _next_chunk(self, timeout: float | None) -> bytes:
        """The next piece of the body, ``b""`` at its end; ``timeout`` bounds the wait."""
        chunks = self._chunks
        if chunks is None:
            raw = self._response.raw
            chunks = self._chunks = _body_chunks(raw)
            self._sock = _socket_of(raw)
        sock = self._sock
        if (
            sock is not None
            and timeout != self._sock_timeout
            and _differs(timeout, self._sock_timeout)
        ):
            sock.settimeout(timeout)
            self._sock_timeout = timeout
        try:
            return next(chunks, b"")
        except _LIBRARY_ERRORS as exc:
            raise map_transport_error(exc) from exc

    def finish(self) -> None:
        """Read the end of the body if it is (nearly) there, so the connection is pooled.

        The server ends the body right after the terminal event; waiting up to
        :data:`END_OF_BODY_GRACE` for those last bytes lets urllib3 put the
        connection back in the pool instead of closing it. A server that keeps
        the body open costs that grace once, then the connection is closed.
        """
        chunks, sock = self._chunks, self._sock
        if chunks is not None and sock is not None and not self._eof:
            try:
                sock.settimeout(END_OF_BODY_GRACE)
                while next(chunks, b""):
                    pass  # anything after the terminal event is not handed out
                self._eof = True
            except Exception:  # not there in time, or broken: close instead
                self._eof = False
        self.close()

    def close(self) -> None:
        """Release the connection. A body not read to the end is discarded with the socket."""
        self._response.close()


#: The name this class had before the transport contract (kept for one release).
StreamingResponse = RequestsStreamResponse


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
    """The socket a urllib3 response reads from, whatever the framing.

    While the response holds its connection, the connection's socket. When
    the connection will close (``Connection: close``, HTTP/1.0, a
    close-delimited body) http.client hands the socket to the response and
    the connection forgets it; the response's file still reads from it.
    """
    sock = getattr(getattr(raw, "connection", None), "sock", None)
    if not isinstance(sock, socket.socket):
        reader = getattr(getattr(raw, "_fp", None), "fp", None)  # http.client's socket file
        sock = getattr(getattr(reader, "raw", None), "_sock", None)
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


class _FinalResponse(http.client.HTTPResponse):
    """http.client's response, skipping every interim ``1xx`` answer (not only ``100``).

    ``begin()`` skips the headers of ``100 Continue`` and reads on; reporting
    ``102``, ``103`` and the other informational statuses as ``100`` gets them
    skipped the same way. ``101 Switching Protocols`` is final and kept.
    """

    def _read_status(self) -> tuple[str, int, str]:
        version, status, reason = super()._read_status()  # type: ignore[misc]
        if 100 < status < 200 and status != 101:
            return version, 100, reason
        return version, status, reason


class _HTTPConnection(urllib3.connection.HTTPConnection):
    response_class = _FinalResponse


class _HTTPSConnection(urllib3.connection.HTTPSConnection):
    response_class = _FinalResponse


class _HTTPConnectionPool(urllib3.HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSConnectionPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


_POOLS: dict[type[Any], type[Any]] = {
    urllib3.HTTPConnectionPool: _HTTPConnectionPool,
    urllib3.HTTPSConnectionPool: _HTTPSConnectionPool,
}


def _skip_interim_answers(manager: Any) -> Any:
    """Make a urllib3 pool manager's stock pools ones that skip ``1xx`` answers.

    Pool classes that are not urllib3's own (SOCKS, a caller's subclass) are kept.
    """
    classes = getattr(manager, "pool_classes_by_scheme", None)
    if isinstance(classes, dict):
        manager.pool_classes_by_scheme = {
            scheme: _POOLS.get(cls, cls) for scheme, cls in classes.items()
        }
    return manager


class FruxonHTTPAdapter(requests.adapters.HTTPAdapter):
    """requests' ``HTTPAdapter``, skipping interim ``1xx`` answers such as ``103 Early Hints``.

    The sessions the client creates use it. To get the same with a
    ``session=`` of your own, mount it::

        session.mount("https://", FruxonHTTPAdapter())
    """

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _skip_interim_answers(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        return _skip_interim_answers(super().proxy_manager_for(proxy, **proxy_kwargs))


class _ContextAdapter(FruxonHTTPAdapter):
    """An ``HTTPAdapter`` whose HTTPS connections use one ``SSLContext`` (``FRUXON_CA_BUNDLE``).

    requests still loads its own CA bundle into the context (``verify=True``),
    so the context's certificates are trusted in addition to the usual ones.
    """

    def __init__(self, ssl_context: Any, **kwargs: Any) -> None:
        self._ssl_context = ssl_context
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        kwargs["ssl_context"] = self._ssl_context
        super().init_poolmanager(*args, **kwargs)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        proxy_kwargs["ssl_context"] = self._ssl_context
        return super().proxy_manager_for(proxy, **proxy_kwargs)


def new_session(pool_size: int = 0, tls: TLSSettings | None = None) -> requests.Session:
    """The ``requests.Session`` a client makes for itself: pooled, and stateless per call.

    ``pool_size`` is how many connections per host the pool keeps (``0``:
    requests' default of 10). ``tls`` applies ``FRUXON_CA_BUNDLE`` /
    ``FRUXON_INSECURE`` (see :mod:`fruxon_core.tls`).

    requests stores every ``Set-Cookie`` in ``session.cookies`` and iterates that
    jar, unlocked, while preparing each request. With cookies refused the
    session is never written to after construction, which is what makes one
    session safe to share between threads (see :class:`RequestsTransport`).
    """
    session = requests.Session()
    session.cookies.set_policy(_RefuseCookies())
    sizes: dict[str, Any] = {"pool_maxsize": pool_size or requests.adapters.DEFAULT_POOLSIZE}
    adapter = FruxonHTTPAdapter(**sizes)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    if tls is not None and not tls.verify:
        tls.ssl_context()  # the one-time warning
        session.verify = False
        # one warning said it already; urllib3 would repeat it on every request
        warnings.filterwarnings("ignore", category=urllib3.exceptions.InsecureRequestWarning)
    elif tls is not None and tls.ca_bundle is not None:
        session.mount("https://", _ContextAdapter(tls.ssl_context(), **sizes))
    return session


class _SizedBody:
    """A streamed body requests sends with a ``Content-Length`` (it reads ``len()``)."""

    __slots__ = ("_body",)

    def __init__(self, body: BodyStream) -> None:
        self._body = body

    def __iter__(self) -> Iterator[bytes]:
        return self._body.chunks()

    def __len__(self) -> int:
        return self._body.length or 0


def _data(body: bytes | BodyStream | None) -> bytes | Iterable[bytes] | None:
    """``request.body`` as requests' ``data=``: bytes as they are, a stream piece by piece."""
    if not isinstance(body, BodyStream):
        return body
    if body.length is None:
        return body.chunks()  # requests sends it with chunked transfer encoding
    return _SizedBody(body)


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


class _OwnSession:
    """The client's own session, sent to without ``Session.request``'s per-call work.

    ``Session.request`` re-reads the proxy environment, ``~/.netrc`` and the
    cookie jar and merges the session's settings on every call; for the
    session the client made itself none of that can change between calls, so
    it is done once per scheme and host and the prepared request goes straight
    to the adapter. Proxy environment variables are read on the first request
    to each host.
    """

    __slots__ = ("_adapters", "_headers", "_session", "_settings", "_verify")

    def __init__(self, session: requests.Session, verify: bool | None = None) -> None:
        self._session = session
        self._verify = verify
        self._headers = dict(session.headers)
        self._settings: dict[str, tuple[requests.adapters.BaseAdapter, dict[str, Any]]] = {}

    def send(
        self, request: Request, timeout: tuple[float | None, float | None], stream: bool
    ) -> requests.Response:
        prepared = requests.PreparedRequest()
        prepared.method = request.method
        prepared.url = _prepared_url(request.url)
        prepared.prepare_headers({**self._headers, **request.headers})
        prepared.prepare_body(_data(request.body), None)
        prepared.hooks = {"response": []}
        origin = request.url[: request.url.find("/", request.url.find("//") + 2)]
        found = self._settings.get(origin)
        if found is None:
            session = self._session
            # verify=False (FRUXON_INSECURE) must win over REQUESTS_CA_BUNDLE / CURL_CA_BUNDLE
            merged = session.merge_environment_settings(origin, {}, None, self._verify, None)
            settings = {
                "proxies": merged["proxies"],
                "verify": merged["verify"],
                "cert": merged["cert"],
            }
            found = self._settings[origin] = (session.get_adapter(origin), settings)
        adapter, settings = found
        send: Any = adapter.send  # (its stub types the timeout tuple narrower than requests takes)
        response: requests.Response = send(prepared, stream=stream, timeout=timeout, **settings)
        return response


@functools.lru_cache(maxsize=1024)
def _prepared_url(url: str) -> str:
    """The URL as requests prepares it (parsed, IDNA-encoded, re-quoted), once per URL."""
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    assert prepared.url is not None
    return prepared.url


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

    name = "requests"
    version = requests.__version__

    def __init__(
        self,
        session: requests.Session | None = None,
        *,
        pool_size: int = 0,
        tls: TLSSettings | None = None,
    ) -> None:
        self._owns_session = session is None
        self._pool_size = pool_size
        self._tls = tls
        self._session = new_session(pool_size, tls) if session is None else session
        insecure = session is None and tls is not None and not tls.verify
        self._verify: bool | None = False if insecure else None
        self._own = _OwnSession(self._session, self._verify) if session is None else None
        self._pid = os.getpid()
        self._closed = False

    def check_usable(self) -> None:
        if self._closed:
            raise ClientClosedError("this FruxonClient is closed")

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)

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
        self._closed = True
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
            self._session = new_session(self._pool_size, self._tls)
            self._own = _OwnSession(self._session, self._verify)
        else:
            _renew_pools(self._session)
        self._pid = os.getpid()

    def send(self, request: Request, remaining: float | None = None) -> Response:
        """Send and read the whole answer; with ``remaining``, all within that many seconds.

        Without a deadline requests reads the body; with one, :func:`_read_within`
        does, so that a trickling body cannot outlast it.
        """
        started = time.monotonic()
        timeout = request.timeout
        failure: BaseException | None = None
        response: requests.Response | None = None
        try:
            response = self._request(
                request, (timeout.connect, timeout.read), stream=remaining is not None
            )
            if remaining is None:
                body = response.content
            else:
                try:
                    body = _read_within(response, request, started + remaining)
                finally:
                    response.close()
        except _SEND_ERRORS as exc:
            failure = exc
        if failure is not None:
            raise _failure(failure, request)
        assert response is not None
        return Response(
            response.status_code,
            _lower(response.headers),
            body,
            request,
            response.reason or "",
            time.monotonic() - started,
        )

    def open_stream(
        self, request: Request, remaining: float | None = None
    ) -> RequestsStreamResponse:
        timeout = request.timeout
        failure: BaseException | None = None
        try:
            response = self._request(
                request, (timeout.connect, timeout.head_read(True)), stream=True
            )
        except _SEND_ERRORS as exc:
            failure = exc
        if failure is not None:
            raise _failure(failure, request)
        return RequestsStreamResponse(response, request)

    def _request(
        self, request: Request, timeout: tuple[float | None, float | None], *, stream: bool
    ) -> requests.Response:
        """One exchange. A caller's session goes through ``Session.request``, hooks and all.

        The client's own session takes the short way, to the adapter: what
        ``Session.request`` would work out on every call -- the proxy, TLS and
        environment settings, the session's default headers -- is worked out
        once per host (see :class:`_OwnSession`); cookies are refused anyway,
        there are no session hooks, and ``~/.netrc`` is not consulted (the
        client authenticates every request itself).
        """
        session = self.session
        own = self._own
        if own is None:
            return session.request(
                request.method,
                request.url,
                headers=request.headers,
                data=_data(request.body),
                timeout=timeout,
                stream=stream,
                allow_redirects=False,
            )
        return own.send(request, timeout, stream)
