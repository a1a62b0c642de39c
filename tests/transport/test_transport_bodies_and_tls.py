"""The transport contract for uploads, downloads, TLS settings and proxies, on every transport.

Uploads are streamed (``Request.body`` a ``BodyStream``): sent with their
``Content-Length`` when it is known, chunked otherwise, and never held in
memory whole. Downloads are read with ``read_bytes`` piece by piece. The TLS
settings (``FRUXON_CA_BUNDLE``, ``FRUXON_INSECURE``) and the proxy variables
apply to the sessions the clients make themselves. Real sockets, a scripted
server (HTTPS with the test CA under ``tls/``), no mocks.
"""

from __future__ import annotations

import hashlib
import io
import os
import ssl
import threading
import time
import tracemalloc
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from fruxon_core import tls as tls_module
from fruxon_core.exceptions import (
    FruxonConnectionError,
    FruxonTimeoutError,
    NotFoundError,
    ServerError,
)
from fruxon_core.models import FileLink
from tests.transport.conftest import ClientFor
from tests.transport.scripted_http import Exchange, ScriptedServer, json_response

Start = Callable[..., ScriptedServer]
TLS = Path(__file__).parent / "tls"
LINK = {"fileId": "f-1", "fileType": "file", "promptLink": "<file:f-1/>", "displayName": "x"}
BIG = 24 * 1024 * 1024  # larger than any buffer a transport keeps


def _answer_link(exchange: Exchange) -> None:
    exchange.send(json_response(LINK))


def _big_file(tmp_path: Path, size: int = BIG) -> tuple[Path, str]:
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with open(path, "wb") as handle:
        block = os.urandom(1 << 20)
        for _ in range(size >> 20):
            handle.write(block)
            digest.update(block)
    return path, digest.hexdigest()


def _file_part_digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _peak_during(action: Callable[[], Any]) -> int:
    tracemalloc.start()
    try:
        action()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_an_upload_is_streamed_with_its_length_not_read_into_memory(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    path, _ = _big_file(tmp_path)
    server = scripted_server(_answer_link, keep_bodies=False)
    with client_for(server) as client:
        peak = _peak_during(lambda: client.upload_file(path))
    (request,) = server.requests
    assert request.method == "POST"
    assert request.target.endswith("/storage")
    assert request.headers["content-length"] == str(request.body_size)
    assert "transfer-encoding" not in request.headers
    assert request.body_size > BIG
    assert peak < BIG // 4, f"the upload held {peak} bytes at its peak"


def test_an_upload_body_arrives_intact(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    content = os.urandom(300_000)
    path = tmp_path / "data.bin"
    path.write_bytes(content)
    server = scripted_server(_answer_link)
    with client_for(server) as client:
        link = client.upload_file(path, content_type="application/x-test", temporary=True)
    assert link == FileLink(file_id="f-1", file_type="file", display_name="x")
    (request,) = server.requests
    assert request.target.endswith("/storage?temporary=true")
    boundary = request.headers["content-type"].split("boundary=")[1]
    head, _, rest = request.body.partition(b"\r\n\r\n")
    assert (
        head
        == (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="data.bin"\r\n'
            "Content-Type: application/x-test"
        ).encode()
    )
    assert rest == content + f"\r\n--{boundary}--\r\n".encode()


class Pipe(io.RawIOBase):
    """A non-seekable binary stream of known content, read in small pieces."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        return self._data.read(min(size, 10_000) if size > 0 else 10_000)


def test_an_upload_of_unknown_size_goes_out_chunked(
    client_for: ClientFor, scripted_server: Start
) -> None:
    content = os.urandom(150_000)
    server = scripted_server(_answer_link)
    with client_for(server) as client:
        client.upload_file(Pipe(content), filename="p.bin")
    (request,) = server.requests
    assert request.headers["transfer-encoding"].lower() == "chunked"
    assert "content-length" not in request.headers
    assert content in request.body


def test_a_one_shot_upload_is_not_sent_twice_but_a_path_is(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    answers = iter([503, 503, 200, 503, 200])

    def handler(exchange: Exchange) -> None:
        status = next(answers)
        if status == 200:
            exchange.send(json_response(LINK))
        else:
            exchange.send(json_response({"title": "busy"}, 503, "Service Unavailable"))

    server = scripted_server(handler)
    path = tmp_path / "a.txt"
    path.write_bytes(b"resend me")
    with client_for(server, max_retries=3, retry=_fast_retry()) as client:
        client.upload_file(path)  # 503, 503, then 200: sent three times, whole each time
        with pytest.raises(ServerError) as caught:
            client.upload_file(Pipe(b"once only"))  # 503: a pipe cannot be sent again
    assert [r.body.count(b"resend me") for r in server.requests[:3]] == [1, 1, 1]
    assert caught.value.status == 503
    assert len(server.requests) == 4


def _fast_retry() -> Any:
    from fruxon_core.plugins import RetryPolicy

    return RetryPolicy(initial_delay=0.01, max_delay=0.02)


# -- downloads --------------------------------------------------------------------------


def _serve_file(size: int, piece: int = 1 << 20) -> Callable[[Exchange], None]:
    block = os.urandom(piece)

    def handler(exchange: Exchange) -> None:
        exchange.send(
            (
                "HTTP/1.1 200 OK\r\nContent-Type: application/pdf\r\n"
                f"Content-Length: {size}\r\n\r\n"
            ).encode()
        )
        for _ in range(size // piece):
            exchange.send(block)

    handler.block = block  # type: ignore[attr-defined]
    return handler


def test_a_download_to_a_file_is_streamed_not_held_in_memory(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    handler = _serve_file(BIG)
    server = scripted_server(handler)
    target = tmp_path / "copy.pdf"
    with client_for(server) as client:
        result: list[Any] = []
        peak = _peak_during(lambda: result.append(client.download_file_to("f-1", target)))
    assert result == [(BIG, "application/pdf")]
    expected = hashlib.sha256(handler.block * (BIG >> 20)).hexdigest()  # type: ignore[attr-defined]
    assert _file_part_digest(target) == expected
    assert server.requests[0].headers["accept"] == "*/*"
    assert server.requests[0].target.endswith("/storage/f-1")
    assert peak < BIG // 4, f"the download held {peak} bytes at its peak"


def test_a_whole_download_returns_the_bytes_and_type(
    client_for: ClientFor, scripted_server: Start
) -> None:
    handler = _serve_file(2 << 20)
    server = scripted_server(handler)
    with client_for(server) as client:
        content, content_type = client.download_file("<pdf:f-1/>")
    assert content == handler.block * 2  # type: ignore[attr-defined]
    assert content_type == "application/pdf"


def test_a_download_that_stalls_times_out_and_leaves_the_target_alone(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    release = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial")
        release.wait(5)

    server = scripted_server(handler)
    target = tmp_path / "out.bin"
    target.write_bytes(b"previous")
    try:
        with client_for(server, timeout=0.5) as client, pytest.raises(FruxonTimeoutError):
            client.download_file_to("f-1", target)
    finally:
        release.set()
    assert target.read_bytes() == b"previous"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.bin"]


def test_a_missing_file_is_not_found_and_nothing_is_written(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    server = scripted_server(
        lambda exchange: exchange.send(json_response({"title": "Not Found"}, 404, "Not Found"))
    )
    with client_for(server) as client, pytest.raises(NotFoundError):
        client.download_file_to("nope", tmp_path / "x.bin")
    assert list(tmp_path.iterdir()) == []


def test_a_dropped_download_is_a_connection_error(
    client_for: ClientFor, scripted_server: Start, tmp_path: Path
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nonly this")

    server = scripted_server(handler)
    with client_for(server, max_retries=2) as client, pytest.raises(FruxonConnectionError):
        client.download_file_to("f-1", tmp_path / "x.bin")
    assert list(tmp_path.iterdir()) == []
    assert len(server.requests) == 1  # a body broken mid-way is never replayed


# -- TLS --------------------------------------------------------------------------------


def _https_server(scripted_server: Start) -> ScriptedServer:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(TLS / "server.pem", TLS / "server.key")
    return scripted_server(
        lambda exchange: exchange.send(json_response({"id": "tls-agent"})), tls=context
    )


@pytest.fixture
def clean_tls_environment(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    # (REQUESTS_CA_BUNDLE and friends stay as the machine has them: they must not undo ours)
    for name in ("FRUXON_CA_BUNDLE", "FRUXON_INSECURE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(tls_module, "_warned", False)
    return monkeypatch


def test_an_unknown_certificate_authority_is_refused(
    client_for: ClientFor, scripted_server: Start, clean_tls_environment: pytest.MonkeyPatch
) -> None:
    server = _https_server(scripted_server)
    with client_for(server) as client, pytest.raises(FruxonConnectionError) as caught:
        client.get_agent("tls-agent")
    assert caught.value.request_sent is False
    assert server.requests == []


def test_fruxon_ca_bundle_adds_a_certificate_authority(
    client_for: ClientFor, scripted_server: Start, clean_tls_environment: pytest.MonkeyPatch
) -> None:
    clean_tls_environment.setenv("FRUXON_CA_BUNDLE", str(TLS / "ca.pem"))
    server = _https_server(scripted_server)
    with client_for(server) as client:
        assert client.get_agent("tls-agent").id == "tls-agent"


def test_fruxon_insecure_skips_verification_with_one_warning(
    client_for: ClientFor, scripted_server: Start, clean_tls_environment: pytest.MonkeyPatch
) -> None:
    clean_tls_environment.setenv("FRUXON_INSECURE", "1")
    server = _https_server(scripted_server)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with client_for(server) as first, client_for(server) as second:
            assert first.get_agent("tls-agent").id == "tls-agent"
            assert second.get_agent("tls-agent").id == "tls-agent"
            first.get_agent("tls-agent")
    ours = [w for w in caught if "FRUXON_INSECURE" in str(w.message)]
    assert len(ours) == 1
    assert issubclass(ours[0].category, RuntimeWarning)
    assert not [w for w in caught if "Unverified HTTPS request" in str(w.message)]


# -- proxies ----------------------------------------------------------------------------


def test_proxy_environment_variables_are_honoured(
    client_for: ClientFor, scripted_server: Start, monkeypatch: pytest.MonkeyPatch
) -> None:
    proxy = scripted_server(lambda exchange: exchange.send(json_response({"id": "via-proxy"})))
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", proxy.base_url)
    monkeypatch.setenv("http_proxy", proxy.base_url)
    origin = ScriptedServer(lambda exchange: None)
    origin.close()  # nothing listens here: only the proxy can answer
    with client_for(origin) as client:
        started = time.monotonic()
        assert client.get_agent("a").id == "via-proxy"
        assert time.monotonic() - started < 5
    (request,) = proxy.requests
    assert request.target == f"{origin.base_url}/v1/tenants/acme-corp/agents/a"
