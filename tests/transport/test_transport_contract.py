"""The transport contract beyond framing: errors, timeouts and connection handling, per transport.

Runs once per transport in ``tests/registry.py`` against a scripted server
(real sockets): what a dropped connection, a refused one, a silent server, an
error status and a consumer that stops early each become.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable

import pytest

from fruxon_core.exceptions import (
    FruxonConnectionError,
    FruxonTimeoutError,
    NotFoundError,
)
from fruxon_core.http import Timeout
from tests.transport.conftest import ClientFor
from tests.transport.scripted_http import (
    CHUNKED_SSE_HEAD,
    Exchange,
    ScriptedServer,
    chunk,
    json_response,
)

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]
TEXT = b'event: text\ndata: {"chunk": "hi"}\n\n'
DONE = b'event: done\ndata: {"executionRecordId": "rec-1"}\n\n'


def test_a_connection_dropped_mid_stream_is_an_error_and_never_replayed(
    client_for: ClientFor, scripted_server: Start
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        exchange.conn.shutdown(socket.SHUT_RDWR)  # no terminating chunk

    server = scripted_server(handler)
    with client_for(server, max_retries=2) as client:
        stream = client.stream("support-agent")
        assert next(stream).event == "text"
        with pytest.raises(FruxonConnectionError) as caught:
            next(stream)
    assert caught.value.request_sent is True
    assert not isinstance(caught.value, FruxonTimeoutError)
    assert len(server.requests) == 1


def test_a_refused_connection_was_not_sent(client_for: ClientFor) -> None:
    server = ScriptedServer(lambda exchange: None)
    server.close()
    with (
        client_for(server, max_retries=0) as client,
        pytest.raises(FruxonConnectionError) as caught,
    ):
        client.get_agent("support-agent")
    assert caught.value.request_sent is False
    assert "could not connect to 127.0.0.1" in str(caught.value)


def test_a_silent_server_times_out_a_plain_call(
    client_for: ClientFor, scripted_server: Start
) -> None:
    release = threading.Event()
    server = scripted_server(lambda exchange: release.wait(5) and None)
    timeout = Timeout(connect=5.0, read=0.2, stream_idle=None)
    with client_for(server, timeout=timeout) as client, pytest.raises(FruxonTimeoutError) as caught:
        client.get_agent("support-agent")
    release.set()
    assert caught.value.request_sent is True
    assert caught.value.__cause__ is not None
    assert "timed out waiting for the server" in str(caught.value)


def test_a_stream_head_that_never_comes_is_bounded_by_the_idle_limit(
    client_for: ClientFor, scripted_server: Start
) -> None:
    release = threading.Event()
    server = scripted_server(lambda exchange: release.wait(5) and None)
    timeout = Timeout(connect=5.0, read=30.0, stream_idle=0.2)
    with client_for(server, timeout=timeout) as client, pytest.raises(FruxonTimeoutError):
        next(client.stream("support-agent"))
    release.set()


def test_an_error_status_on_a_stream_maps_like_any_call(
    client_for: ClientFor, scripted_server: Start
) -> None:
    problem = {"title": "Not Found", "detail": "Agent x not found"}

    def handler(exchange: Exchange) -> None:
        exchange.send(
            json_response(problem, 404, "Not Found").replace(
                b"\r\n\r\n", b"\r\nX-Request-ID: req-7\r\n\r\n", 1
            )
        )

    with client_for(scripted_server(handler)) as client, pytest.raises(NotFoundError) as caught:
        next(client.stream("x"))
    assert caught.value.detail == "Agent x not found"
    assert caught.value.request_id == "req-7"


def test_breaking_out_of_a_stream_closes_its_connection_at_once(
    client_for: ClientFor, scripted_server: Start
) -> None:
    closed = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        exchange.conn.settimeout(5)
        try:
            while exchange.conn.recv(1024):
                pass
            closed.set()  # EOF: the client hung up
        except OSError:
            closed.set()

    with client_for(scripted_server(handler)) as client:
        for event in client.stream("support-agent"):
            assert event.event == "text"
            break
        assert closed.wait(5), "the client kept the connection after the loop broke"


def test_a_finished_stream_hands_its_connection_back_to_the_pool(
    client_for: ClientFor, scripted_server: Start
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT + DONE) + chunk(b""))

    server = scripted_server(handler)
    with client_for(server) as client:
        for _ in range(3):
            stream = client.stream("support-agent")
            assert [event.event for event in stream] == ["text", "done"]
            assert stream.final_result is not None
    assert len(server.requests) == 3
    assert server.connections == 1
