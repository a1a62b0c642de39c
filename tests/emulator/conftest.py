"""Shared helpers for the emulator tests: a tiny stdlib HTTP client.

Tests talk to the emulator over real sockets with http.client (never the SDK),
and read raw bytes with a plain socket where framing itself is under test.
The emulator fixtures come from the package's own pytest plugin.
"""

from __future__ import annotations

import http.client
import json
import socket
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import pytest

from fruxon_emulator import EmulatorServer


@dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "").split(";")[0].strip()


@dataclass
class RawReply:
    """A response read byte for byte until the server closed the socket."""

    head: bytes
    body: bytes
    reset: bool

    @property
    def status(self) -> int:
        return int(self.head.split(b" ", 2)[1])

    def header(self, name: str) -> str | None:
        for line in self.head.split(b"\r\n")[1:]:
            key, _, value = line.decode("latin-1").partition(":")
            if key.strip().lower() == name.lower():
                return value.strip()
        return None


def dechunk(body: bytes) -> tuple[bytes, bool]:
    """Decode a chunked body; the flag says whether the final 0-chunk arrived."""
    parts, position = [], 0
    while position < len(body):
        line_end = body.find(b"\r\n", position)
        if line_end < 0:
            break
        size = int(body[position:line_end].split(b";")[0], 16)
        if size == 0:
            return b"".join(parts), True
        parts.append(body[line_end + 2 : line_end + 2 + size])
        position = line_end + 2 + size + 2
    return b"".join(parts), False


@dataclass(frozen=True)
class Part:
    """One multipart/form-data part to build an upload from."""

    name: str | None
    data: bytes
    filename: str | None = None
    content_type: str | None = None


def multipart_body(parts: list[Part], boundary: str = "fruxon-test-boundary") -> bytes:
    """A multipart/form-data body the way the official client frames one (CRLF)."""
    out = bytearray()
    for part in parts:
        disposition = "form-data"
        if part.name is not None:
            disposition += f'; name="{part.name}"'
        if part.filename is not None:
            disposition += f'; filename="{part.filename}"'
        out += f"--{boundary}\r\nContent-Disposition: {disposition}\r\n".encode()
        if part.content_type is not None:
            out += f"Content-Type: {part.content_type}\r\n".encode()
        out += b"\r\n" + part.data + b"\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


def parse_frames(data: bytes) -> list[tuple[str, Any]]:
    """Strictly split `event: x\\ndata: {json}\\n\\n` frames (comments skipped)."""
    frames = []
    for block in data.decode().split("\n\n"):
        lines = [line for line in block.split("\n") if line and not line.startswith(":")]
        if not lines:
            continue
        assert len(lines) == 2, block
        assert lines[0].startswith("event: "), block
        assert lines[1].startswith("data: "), block
        frames.append((lines[0][7:], json.loads(lines[1][6:])))
    return frames


class Api:
    """Requests against one emulator with its primary tenant's key.

    The byte-level helpers hang off this class so test modules need nothing
    but the `api` fixture (test directories here have no __init__.py).
    """

    dechunk = staticmethod(dechunk)
    parse_frames = staticmethod(parse_frames)
    multipart_body = staticmethod(multipart_body)
    Part = Part

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.host = "127.0.0.1"
        self.port = server.port
        self.org = server.org
        self.key = server.api_key

    @staticmethod
    def wait_for(predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Poll until server-side state catches up with what the client did."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.02)
        return predicate()

    def path(self, suffix: str, org: str | None = None) -> str:
        return f"/v1/tenants/{org or self.org}/{suffix}"

    def headers(self, extra: Mapping[str, str] | None, auth: bool) -> dict[str, str]:
        headers = {"X-API-KEY": self.key} if auth else {}
        headers.update(extra or {})
        return headers

    def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        *,
        auth: bool = True,
        timeout: float = 10.0,
    ) -> Reply:
        payload = body if isinstance(body, bytes) or body is None else json.dumps(body).encode()
        all_headers = self.headers(headers, auth)
        if payload is not None:
            all_headers.setdefault("Content-Type", "application/json")
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=payload, headers=all_headers)
            response = connection.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            connection.close()

    def get(self, suffix: str, **kwargs: Any) -> Reply:
        return self.request("GET", self.path(suffix), **kwargs)

    def post(self, suffix: str, body: Any = None, **kwargs: Any) -> Reply:
        return self.request("POST", self.path(suffix), {} if body is None else body, **kwargs)

    def put(self, suffix: str, body: Any, **kwargs: Any) -> Reply:
        return self.request("PUT", self.path(suffix), body, **kwargs)

    def upload(
        self,
        parts: list[Part] | bytes,
        query: str = "",
        *,
        boundary: str = "fruxon-test-boundary",
        headers: Mapping[str, str] | None = None,
        **kwargs: Any,
    ) -> Reply:
        """POST storage with a multipart body (built from `parts`, or given raw)."""
        body = parts if isinstance(parts, bytes) else multipart_body(parts, boundary)
        all_headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
        all_headers.update(headers or {})
        return self.request("POST", self.path(f"storage{query}"), body, all_headers, **kwargs)

    def upload_file(self, name: str, data: bytes, content_type: str | None = None) -> Any:
        """Upload one file the official way and return its FileLink."""
        reply = self.upload([Part("file", data, name, content_type)])
        assert reply.status == 200, reply.body
        return reply.json()

    def stream_frames(
        self, suffix: str, body: Any = None, headers: Mapping[str, str] | None = None
    ) -> tuple[RawReply, list[tuple[str, Any]]]:
        """A complete stream's frames (asserting it ended with the final chunk)."""
        raw = self.raw("POST", self.path(suffix), {} if body is None else body, headers)
        assert raw.status == 200, raw.head + raw.body
        data, complete = dechunk(raw.body)
        assert complete, "the stream must end with the terminating chunk"
        return raw, parse_frames(data)

    def record(self, agent: str, record_id: str) -> Any:
        reply = self.get(f"agents/{agent}/executionRecords/{record_id}")
        assert reply.status == 200, reply.body
        return reply.json()

    def raw(
        self,
        method: str,
        path: str,
        body: Any = None,
        headers: Mapping[str, str] | None = None,
        timeout: float = 10.0,
    ) -> RawReply:
        """Send one request and return every byte until EOF (or a reset)."""
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "Connection: close"]
        lines += [f"{k}: {v}" for k, v in self.headers(headers, True).items()]
        lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        request = ("\r\n".join(lines) + "\r\n\r\n").encode() + payload
        received, reset = bytearray(), False
        with socket.create_connection((self.host, self.port), timeout=timeout) as sock:
            sock.sendall(request)
            while True:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    reset = True
                    break
                if not chunk:
                    break
                received += chunk
        head, _, rest = bytes(received).partition(b"\r\n\r\n")
        return RawReply(head, rest, reset)


@pytest.fixture
def emulator(fruxon_emulator: EmulatorServer) -> Iterator[EmulatorServer]:
    """The session emulator with freshly reset counters."""
    fruxon_emulator.reset()
    return fruxon_emulator


@pytest.fixture
def api(emulator: EmulatorServer) -> Api:
    return Api(emulator)


@pytest.fixture(scope="session")
def make_api() -> Callable[[EmulatorServer], Api]:
    return Api
