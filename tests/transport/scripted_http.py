"""A scripted HTTP server for the sync client's byte-level tests.

The emulator covers the protocol; a few tests need bytes it never sends (a
BOM, CRLF framing, a frame cut at an arbitrary byte, a gzip-encoded stream, a
page token that repeats). :class:`ScriptedServer` answers each request with a
Python function that writes raw bytes to the real socket, so those tests
still go through requests, urllib3 and the kernel like any other call.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CHUNKED_SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
)
CLOSE_DELIMITED_SSE_HEAD = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n"
)


def chunk(data: bytes) -> bytes:
    """One HTTP/1.1 chunk (``b""`` gives the terminating zero-length chunk)."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def json_response(payload: Any, status: int = 200, reason: str = "OK") -> bytes:
    body = json.dumps(payload).encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body


@dataclass
class RawRequest:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes
    body_size: int = 0
    """Bytes of body received (also when the server kept only their digest)."""
    body_sha256: str = ""


@dataclass
class Exchange:
    """One request and the socket to answer it on."""

    request: RawRequest
    conn: socket.socket
    keep_alive: bool = True
    """Set to False to close the connection after the handler returns."""

    def send(self, data: bytes) -> None:
        self.conn.sendall(data)


Handler = Callable[[Exchange], None]


@dataclass
class ScriptedServer:
    handler: Handler
    requests: list[RawRequest] = field(default_factory=list)
    tls: ssl.SSLContext | None = None
    """Serve HTTPS with this (server-side) context."""
    keep_bodies: bool = True
    """False: read request bodies piece by piece and keep only their size and digest."""

    def __post_init__(self) -> None:
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._conns: list[socket.socket] = []
        self._accept = threading.Thread(target=self._accept_loop, daemon=True)
        self._accept.start()

    @property
    def connections(self) -> int:
        """How many connections clients opened to this server so far."""
        return len(self._conns)

    @property
    def base_url(self) -> str:
        return f"{'https' if self.tls else 'http'}://127.0.0.1:{self.port}"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.tls is not None:
                conn.settimeout(5)
                try:
                    conn = self.tls.wrap_socket(conn, server_side=True)
                except (OSError, ssl.SSLError):  # a client that refused our certificate
                    _close(conn)
                    continue
                conn.settimeout(None)
            self._conns.append(conn)
            thread = threading.Thread(target=self._serve, args=(conn,), daemon=True)
            self._threads.append(thread)
            thread.start()

    def _serve(self, conn: socket.socket) -> None:
        reader = conn.makefile("rb")
        try:
            while not self._stop.is_set():
                request = _read_request(reader, self.keep_bodies)
                if request is None:
                    return
                self.requests.append(request)
                exchange = Exchange(request, conn)
                self.handler(exchange)
                if not exchange.keep_alive:
                    return
        except OSError:
            return
        finally:
            reader.close()
            _close(conn)

    def close(self) -> None:
        self._stop.set()
        self._listener.close()
        for conn in self._conns:
            _close(conn)
        for thread in [self._accept, *self._threads]:
            thread.join(5)


def _close(conn: socket.socket) -> None:
    with contextlib.suppress(OSError):
        conn.shutdown(socket.SHUT_RDWR)
    conn.close()


def _read_request(reader: Any, keep_body: bool = True) -> RawRequest | None:
    line = reader.readline()
    if not line:
        return None
    method, target, _ = line.decode("latin-1").split(" ", 2)
    headers: dict[str, str] = {}
    while (line := reader.readline()) not in (b"\r\n", b"\n", b""):
        name, _, value = line.decode("latin-1").partition(":")
        headers[name.strip().lower()] = value.strip()
    kept: list[bytes] = []
    digest = hashlib.sha256()
    size = 0
    for piece in _body_pieces(reader, headers):
        digest.update(piece)
        size += len(piece)
        if keep_body:
            kept.append(piece)
    return RawRequest(method, target, headers, b"".join(kept), size, digest.hexdigest())


def _body_pieces(reader: Any, headers: dict[str, str]) -> Any:
    """The request body in pieces of at most 64 KiB: Content-Length or chunked framing."""
    if headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int(reader.readline().split(b";")[0].strip(), 16)
            if size == 0:
                while reader.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return
            left = size
            while left:
                piece = reader.read(min(left, 65536))
                if not piece:
                    return
                left -= len(piece)
                yield piece
            reader.readline()  # the CRLF after the chunk
    left = int(headers.get("content-length", "0"))
    while left:
        piece = reader.read(min(left, 65536))
        if not piece:
            return
        left -= len(piece)
        yield piece
