"""Reading streams with httpx, byte by byte, over real sockets, on both httpx clients.

Incremental delivery is proven with a gate, as for requests: the server sends
the first frame, then waits for the test to hold that event before sending
the rest -- gzip-compressed bodies included (``iter_raw`` is undecoded, so
the transport reads those through httpx's decoders). The timing tests prove
that each read waits for exactly what the idle clock allows, although httpx
fixes a request's read timeout for its whole body.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core.exceptions import FruxonTimeoutError
from fruxon_core.http import Timeout
from tests.transport.scripted_http import CHUNKED_SSE_HEAD, Exchange, ScriptedServer, chunk
from tests.transport.test_transport_stream_bytes import DONE, Body, frame

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]
ClientFactory = Callable[..., Any]
TEXT = frame("text", {"chunk": "hi"})


def _client(make_client: ClientFactory, server: ScriptedServer, **options: Any) -> Any:
    options.setdefault("max_retries", 0)
    return make_client(base_url=server.base_url, api_key="fxn_test", org="acme-corp", **options)


@pytest.mark.parametrize("framing", ["chunked", "close", "length", "gzip"])
def test_an_event_is_delivered_before_the_next_bytes_are_sent(
    make_client: ClientFactory, scripted_server: Start, framing: str
) -> None:
    first = frame("text", {"chunk": "first"})
    rest = frame("text", {"chunk": "second"}) + DONE
    holding_first = threading.Event()
    waited_in_vain: list[bool] = []

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        body = Body(framing)
        exchange.send(body.head(len(first) + len(rest)) + body.piece(first))
        if not holding_first.wait(5):
            waited_in_vain.append(True)  # the client never yielded the first event
        exchange.send(body.piece(rest) + body.end())

    client = _client(make_client, scripted_server(handler))
    stream = client.stream("support-agent")
    assert next(stream).data == {"chunk": "first"}
    holding_first.set()
    assert [event.event for event in stream] == ["text", "done"]
    assert waited_in_vain == []


def test_a_gzip_stream_of_many_events_decodes_whole(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    events = [frame("text", {"chunk": f"w{n} "}) for n in range(300)]

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        body = Body("gzip")
        exchange.send(body.head())
        for start in range(0, len(events), 7):  # compressed pieces cut across frames
            exchange.send(body.piece(b"".join(events[start : start + 7])))
        exchange.send(body.piece(DONE) + body.end())

    client = _client(make_client, scripted_server(handler))
    text = "".join(client.stream_text("support-agent"))
    assert text == "".join(f"w{n} " for n in range(300))


def test_iteration_ends_at_done_even_if_the_server_keeps_the_connection(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    finished = threading.Event()
    waited_in_vain: list[bool] = []

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT + DONE))
        if not finished.wait(5):  # the body never ends while the client iterates
            waited_in_vain.append(True)

    client = _client(make_client, scripted_server(handler))
    started = time.monotonic()
    events = [event.event for event in client.stream("support-agent")]
    assert time.monotonic() - started < 1.0
    finished.set()
    assert events == ["text", "done"]
    assert waited_in_vain == []


def test_a_finished_stream_leaves_its_connection_in_the_pool(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    def handler(exchange: Exchange) -> None:  # keep-alive: every body ends with its last chunk
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT) + chunk(DONE) + chunk(b""))

    server = scripted_server(handler)
    client = _client(make_client, server)
    for _ in range(4):
        assert [event.event for event in client.stream("support-agent")] == ["text", "done"]
    assert len(server.requests) == 4
    assert len(server._conns) == 1  # one connection, reused by every stream


def test_a_comment_then_silence_times_out_when_the_idle_limit_passes(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    """httpx bounds every read of a body by the request's read timeout; the stream
    must wait only for what is left of ``stream_idle`` after a keep-alive comment."""
    stop = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        time.sleep(0.4)
        exchange.send(chunk(b": ping\n\n"))
        stop.wait(5)

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.8)
    client = _client(make_client, scripted_server(handler), timeout=timeout)
    stream = client.stream("support-agent")
    assert next(stream).event == "text"
    started = time.monotonic()
    with pytest.raises(FruxonTimeoutError, match="stream idle timeout") as caught:
        next(stream)
    elapsed = time.monotonic() - started
    stop.set()
    assert 0.7 < elapsed < 1.1  # 0.8 s after the event, not 0.4 + 0.8
    assert caught.value.__cause__ is not None


def test_a_silent_server_hits_the_read_timeout(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    stop = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        stop.wait(5)

    timeout = Timeout(connect=5.0, read=0.3, stream_idle=None)
    client = _client(make_client, scripted_server(handler), timeout=timeout)
    stream = client.stream("support-agent")
    assert next(stream).event == "text"
    started = time.monotonic()
    with pytest.raises(FruxonTimeoutError, match="read timeout"):
        next(stream)
    stop.set()
    assert 0.25 < time.monotonic() - started < 1.0


def test_a_consumer_pausing_between_events_is_not_idle(
    make_client: ClientFactory, scripted_server: Start
) -> None:
    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT) + chunk(TEXT) + chunk(DONE) + chunk(b""))

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.2)
    client = _client(make_client, scripted_server(handler), timeout=timeout)
    events = []
    for event in client.stream("support-agent"):
        events.append(event.event)
        time.sleep(0.3)
    assert events == ["text", "text", "done"]
