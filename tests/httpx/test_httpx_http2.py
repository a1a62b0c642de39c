"""HTTP/2 is opt-in, through the ``h2`` extra; asked for without it, the error says what to install.

"Without h2" is a fresh interpreter in which importing ``h2`` fails (its
``sys.modules`` entry is ``None``), so the check runs on the real import path.
"""

from __future__ import annotations

import subprocess
import sys

import httpx
import pytest

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.http import Request
from fruxon_emulator import EmulatorServer
from fruxon_httpx import AsyncHttpxTransport, FruxonClient, HttpxTransport
from fruxon_httpx._shared import failure

WITHOUT_H2 = "import sys; sys.modules['h2'] = None\n"


@pytest.mark.parametrize("transport", ["HttpxTransport", "AsyncHttpxTransport"])
def test_http2_without_h2_says_what_to_install(transport: str) -> None:
    code = WITHOUT_H2 + (
        f"from fruxon_httpx import {transport}\n"
        "try:\n"
        f"    {transport}(http2=True)\n"
        "except ImportError as exc:\n"
        "    print('ImportError:', exc)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.startswith("ImportError: HTTP/2 needs the h2 package")
    assert "pip install 'fruxon-httpx[h2]'" in out.stdout


def test_http1_needs_no_h2() -> None:
    code = WITHOUT_H2 + "from fruxon_httpx import FruxonClient\nFruxonClient('k', 'o').close()\n"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_http2_transports_with_h2() -> None:
    transport = HttpxTransport(http2=True)
    assert transport.session._transport._pool._http2 is True  # type: ignore[attr-defined]
    transport.close()
    AsyncHttpxTransport(http2=True)  # builds its client on first use


def test_an_http2_session_serves_the_client(emulator: EmulatorServer) -> None:
    """Over plain http httpx speaks HTTP/1.1 even with ``http2=True``; the client works the same
    (over https the connection negotiates HTTP/2 by ALPN)."""
    versions: list[str] = []
    hooks = {"response": [lambda response: versions.append(response.http_version)]}
    with httpx.Client(http2=True, event_hooks=hooks) as session:
        client = FruxonClient(
            emulator.api_key, emulator.org, base_url=emulator.base_url, session=session
        )
        assert client.execute("echo-agent", parameters={"message": "h2"}).response
        assert "".join(client.stream_text("echo-agent", parameters={"message": "s"}))
        client.close()
    assert versions == ["HTTP/1.1", "HTTP/1.1"]


_REQUEST = Request("POST", "http://user:secret@api.example:8443/v1/x", {})


@pytest.mark.parametrize(
    ("error", "kind", "sent", "text"),
    [
        (httpx.ConnectError("refused"), FruxonConnectionError, False, "could not connect to"),
        (httpx.ConnectTimeout("slow"), FruxonTimeoutError, False, "timed out connecting"),
        (httpx.PoolTimeout("full"), FruxonTimeoutError, False, "timed out connecting"),
        (httpx.ProxyError("407"), FruxonConnectionError, False, "could not connect to"),
        (httpx.UnsupportedProtocol("ftp"), FruxonConnectionError, False, "could not connect"),
        (httpx.ReadTimeout("slow"), FruxonTimeoutError, True, "timed out waiting"),
        (httpx.WriteTimeout("slow"), FruxonTimeoutError, True, "timed out waiting"),
        (httpx.ReadError("reset"), FruxonConnectionError, True, "connection failed: reset"),
        (httpx.RemoteProtocolError("eof"), FruxonConnectionError, True, "connection failed"),
        (httpx.StreamClosed(), FruxonConnectionError, True, "the stream was closed"),
        (TimeoutError(), FruxonTimeoutError, True, "timed out waiting"),
    ],
)
def test_error_mapping(error: BaseException, kind: type, sent: bool, text: str) -> None:
    mapped = failure(error, _REQUEST)
    assert isinstance(mapped, FruxonConnectionError)
    assert mapped.__cause__ is error
    assert type(mapped) is kind
    assert mapped.request_sent is sent
    assert text in str(mapped)
    assert "secret" not in str(mapped)  # credentials in a URL never reach a message
