"""Every client words a failure the same way: what happened and what to do, no library internals.

Runs once per transport in ``tests/registry.py`` over real sockets: a refused
connection, a connect timeout, a silent server, a stream that never answers,
and the API errors whose wording the client adds to (422, 429, a stream's
``error`` event). Each message is compared whole, so a transport that lets its
HTTP library's wording through (``HTTPConnectionPool(...)``, ``Connect call
failed``, ``All connection attempts failed``, ``ssl:default``) fails here.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from fruxon_core.exceptions import (
    FruxonConnectionError,
    FruxonStreamError,
    FruxonTimeoutError,
    RateLimitError,
    ValidationError,
)
from fruxon_core.http import Timeout
from tests.transport.conftest import ClientFor
from tests.transport.scripted_http import CHUNKED_SSE_HEAD, Exchange, ScriptedServer, chunk

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]

NOT_SENT = "(nothing was sent; check base_url and your network)"


def _problem(status: int, reason: str, body: dict[str, object], extra: str = "") -> bytes:
    raw = json.dumps(body).encode()
    head = (
        f"HTTP/1.1 {status} {reason}\r\nContent-Type: application/problem+json\r\n"
        f"Content-Length: {len(raw)}\r\n{extra}\r\n"
    )
    return head.encode() + raw


def test_a_refused_connection_reads_the_same_on_every_client(client_for: ClientFor) -> None:
    server = ScriptedServer(lambda exchange: None)
    server.close()
    with (
        client_for(server, max_retries=0) as client,
        pytest.raises(FruxonConnectionError) as caught,
    ):
        client.get_agent("support-agent")
    refused = f"[Errno {errno.ECONNREFUSED}] {os.strerror(errno.ECONNREFUSED)}"
    assert (
        str(caught.value) == f"could not connect to 127.0.0.1:{server.port}: {refused} {NOT_SENT}"
    )
    assert caught.value.message == f"could not connect to 127.0.0.1:{server.port}: {refused}"
    assert caught.value.hint == NOT_SENT[1:-1]


@contextlib.contextmanager
def _unanswered_port() -> Iterator[int]:
    """A port whose listener's queue is full, so a connection attempt hangs until it times out."""
    listener = socket.create_server(("127.0.0.1", 0), backlog=0)
    port = int(listener.getsockname()[1])
    fillers = []
    try:
        for _ in range(4):
            filler = socket.socket()
            filler.setblocking(False)
            with contextlib.suppress(BlockingIOError):
                filler.connect(("127.0.0.1", port))
            fillers.append(filler)
        time.sleep(0.1)
        probe = socket.socket()
        probe.settimeout(0.2)
        try:
            probe.connect(("127.0.0.1", port))
        except TimeoutError:
            pass
        else:
            pytest.skip("this system accepts connections beyond a full listen queue")
        finally:
            probe.close()
        yield port
    finally:
        for filler in fillers:
            filler.close()
        listener.close()


def test_a_connect_timeout_reads_the_same_on_every_client(
    make_client: Callable[..., Any],
) -> None:
    with _unanswered_port() as port:
        client = make_client(
            base_url=f"http://127.0.0.1:{port}",
            timeout=Timeout(connect=0.3, read=5.0),
            max_retries=0,
        )
        with pytest.raises(FruxonTimeoutError) as caught:
            client.get_agent("support-agent")
    assert (caught.value.kind, caught.value.request_sent) == ("connect", False)
    assert str(caught.value) == (
        f"timed out connecting to 127.0.0.1:{port} after 0.3s (connect timeout; "
        "nothing was sent; check base_url and your network)"
    )


def test_a_read_timeout_names_its_limit_on_every_client(
    client_for: ClientFor, scripted_server: Start
) -> None:
    release = threading.Event()
    server = scripted_server(lambda exchange: release.wait(5) and None)
    timeout = Timeout(connect=5.0, read=0.2, stream_idle=None)
    with client_for(server, timeout=timeout) as client, pytest.raises(FruxonTimeoutError) as caught:
        client.get_agent("support-agent")
    release.set()
    assert str(caught.value) == (
        "timed out waiting for the server: no data for 0.2s "
        "(read timeout: raise Timeout.read if the server needs longer)"
    )
    assert caught.value.__cause__ is not None  # the library's own error, chained


def test_a_stream_that_never_answers_names_the_idle_limit_on_every_client(
    client_for: ClientFor, scripted_server: Start
) -> None:
    release = threading.Event()
    server = scripted_server(lambda exchange: release.wait(5) and None)
    timeout = Timeout(connect=5.0, read=30.0, stream_idle=0.2)
    with client_for(server, timeout=timeout) as client, pytest.raises(FruxonTimeoutError) as caught:
        next(client.stream("support-agent"))
    release.set()
    assert caught.value.kind == "stream_idle"
    assert str(caught.value) == (
        "no stream event for 0.2s "
        "(stream idle timeout: raise Timeout.stream_idle if the agent pauses for longer)"
    )


def test_an_error_event_says_the_run_failed_on_every_client(
    client_for: ClientFor, scripted_server: Start
) -> None:
    error = b'event: error\ndata: {"message": "provider down", "code": "provider_unavailable"}\n\n'

    def handler(exchange: Exchange) -> None:
        exchange.send(CHUNKED_SSE_HEAD + chunk(error) + chunk(b""))

    with client_for(scripted_server(handler)) as client, pytest.raises(FruxonStreamError) as caught:
        list(client.stream("support-agent"))
    assert str(caught.value) == (
        "the run failed while streaming: provider down (code: provider_unavailable)"
    )


def test_a_rate_limit_says_when_to_retry_on_every_client(
    client_for: ClientFor, scripted_server: Start
) -> None:
    body = {"title": "Too Many Requests", "status": 429, "detail": "Slow down."}

    def handler(exchange: Exchange) -> None:
        exchange.send(_problem(429, "Too Many Requests", body, "Retry-After: 3\r\n"))

    with client_for(scripted_server(handler)) as client, pytest.raises(RateLimitError) as caught:
        client.get_agent("support-agent")
    assert str(caught.value) == "429 Too Many Requests: Slow down. (retry after 3s)"
    assert caught.value.retry_after == 3.0


def test_a_missing_parameter_is_said_once_on_every_client(
    client_for: ClientFor, scripted_server: Start
) -> None:
    body = {
        "title": "Unprocessable Entity",
        "status": 422,
        "detail": "Missing required parameter(s): question.",
        "errors": {"parameters.question": ["is required"]},
    }

    def handler(exchange: Exchange) -> None:
        exchange.send(_problem(422, "Unprocessable Entity", body))

    with client_for(scripted_server(handler)) as client, pytest.raises(ValidationError) as caught:
        client.execute("support-agent")
    assert str(caught.value) == (
        "422 Unprocessable Entity: Missing required parameter(s): question."
    )
    assert caught.value.errors == {"parameters.question": ["is required"]}
