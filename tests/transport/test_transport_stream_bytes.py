"""The transport contract, byte by byte: every transport, over real sockets, from a scripted server.

Each test runs once per transport in ``tests/registry.py`` (the ``transport``
fixture); a new transport passes this suite or is not done. The scripted
server writes exact bytes: BOMs, CR/CRLF framing, frames cut at any byte,
gzip, close-delimited, chunked and Content-Length bodies, bodies that stop
mid-frame, silence, and connections dropped mid-stream.

Incremental delivery is proven with a gate: the server sends the first frame
and then waits for the test to hold that event before sending anything else.
A client that needed more bytes first would block until the server gave up
waiting, which the server records. The framing cases include the ones where
sseclient-py alone goes wrong (see ``fruxon_requests.sse_feed``); every
transport must still yield the events the WHATWG rules define.
"""

from __future__ import annotations

import json
import threading
import time
import zlib
from collections.abc import Callable, Iterable
from typing import Any

import pytest

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError, ServerError
from fruxon_core.http import Timeout
from fruxon_emulator import EmulatorServer
from tests.transport.conftest import ClientFor
from tests.transport.scripted_http import (
    CHUNKED_SSE_HEAD,
    CLOSE_DELIMITED_SSE_HEAD,
    Exchange,
    ScriptedServer,
    chunk,
)

Start = Callable[[Callable[[Exchange], None]], ScriptedServer]
DONE = b'event: done\ndata: {"executionRecordId": "rec-1", "sessionId": "s-1"}\n\n'


def frame(name: str, data: Any) -> bytes:
    return b"event: %s\ndata: %s\n\n" % (name.encode(), json.dumps(data).encode())


class Body:
    """Writes one stream body in a given framing (the head, each piece, the end)."""

    def __init__(self, framing: str) -> None:
        self.framing = framing
        self._gzip = zlib.compressobj(wbits=31) if framing == "gzip" else None

    def head(self, length: int = 0) -> bytes:
        if self.framing == "close":
            return CLOSE_DELIMITED_SSE_HEAD
        if self.framing == "length":
            return (
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Content-Length: %d\r\n\r\n" % length
            )
        if self.framing == "gzip":
            return CHUNKED_SSE_HEAD.replace(b"\r\n\r\n", b"\r\nContent-Encoding: gzip\r\n\r\n")
        return CHUNKED_SSE_HEAD

    def piece(self, data: bytes) -> bytes:
        if self._gzip is not None:
            return chunk(self._gzip.compress(data) + self._gzip.flush(zlib.Z_SYNC_FLUSH))
        if self.framing == "chunked":
            return chunk(data)
        return data

    def end(self) -> bytes:
        if self._gzip is not None:
            return chunk(self._gzip.flush()) + chunk(b"")
        return chunk(b"") if self.framing == "chunked" else b""


@pytest.mark.parametrize("framing", ["chunked", "close", "length", "gzip"])
def test_an_event_is_delivered_before_the_next_bytes_are_sent(
    client_for: ClientFor, scripted_server: Start, framing: str
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

    with client_for(scripted_server(handler)) as client:
        stream = client.stream("support-agent")
        assert next(stream).data == {"chunk": "first"}
        holding_first.set()
        assert [event.event for event in stream] == ["text", "done"]
    assert waited_in_vain == []


def test_iteration_ends_at_done_even_if_the_server_keeps_the_connection(
    client_for: ClientFor,
    scripted_server: Start,
) -> None:
    finished = threading.Event()
    waited_in_vain: list[bool] = []

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(frame("text", {"chunk": "hi"}) + DONE))
        if not finished.wait(5):  # the body never ends while the client iterates
            waited_in_vain.append(True)

    with client_for(scripted_server(handler)) as client:
        events = [event.event for event in client.stream("support-agent")]
        finished.set()
    assert events == ["text", "done"]
    assert waited_in_vain == []


def serve_pieces(
    pieces: Iterable[bytes], framing: str = "chunked", pause: float = 0.0
) -> Callable[[Exchange], None]:
    """A handler sending each piece as its own write (its own chunk when chunked)."""
    pieces = list(pieces)

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        body = Body(framing)
        exchange.send(body.head(sum(len(piece) for piece in pieces)))
        for piece in pieces:
            exchange.send(body.piece(piece))
            if pause:
                time.sleep(pause)
        exchange.send(body.end())

    return handler


def streamed(
    client_for: ClientFor, start: Start, pieces: Iterable[bytes], framing: str = "chunked"
) -> list[Any]:
    with client_for(start(serve_pieces(pieces, framing))) as client:
        return [(event.event, event.data) for event in client.stream("support-agent")]


TEXT = b'event: text\ndata: {"chunk": "hi"}\n\n'
EXPECTED = [("text", {"chunk": "hi"}), ("done", {"executionRecordId": "rec-1", "sessionId": "s-1"})]
BOM = b"\xef\xbb\xbf"

FRAMING_CASES: dict[str, list[bytes]] = {
    "leading BOM": [BOM + TEXT, DONE],
    "BOM split over two chunks": [BOM[:1], BOM[1:] + TEXT + DONE],
    "CRLF line ends": [TEXT.replace(b"\n", b"\r\n"), DONE.replace(b"\n", b"\r\n")],
    "CR line ends": [TEXT.replace(b"\n", b"\r"), DONE.replace(b"\n", b"\r")],
    # sseclient-py merges these two frames into one: a CRLF line, then an LF blank line.
    "CRLF line, LF blank line": [
        b'event: text\r\ndata: {"chunk": "hi"}\r\n\n' + DONE.replace(b"\n\n", b"\r\n\n")
    ],
    "CRLF split between chunks": [TEXT[:-1].replace(b"\n", b"\r\n") + b"\r", b"\n", DONE],
    "one byte per chunk": [bytes([byte]) for byte in TEXT + DONE],
    "comments and blank lines between frames": [b": ping\n\n\n\n" + TEXT + b": ping\n\n", DONE],
    "final frame without its blank line": [TEXT, DONE[:-1]],
    "final frame without its line end": [TEXT, DONE[:-2]],
}


@pytest.mark.parametrize("framing", ["chunked", "close", "gzip"])
@pytest.mark.parametrize("case", list(FRAMING_CASES))
def test_framing_corner_cases(
    client_for: ClientFor, scripted_server: Start, case: str, framing: str
) -> None:
    assert streamed(client_for, scripted_server, FRAMING_CASES[case], framing) == EXPECTED


ACCENTED = 'event: text\ndata: {"chunk": "h\u00e9"}\n\n'.encode()


@pytest.mark.parametrize("framing", ["chunked", "close", "gzip"])
def test_a_utf8_character_split_between_chunks(
    client_for: ClientFor, scripted_server: Start, framing: str
) -> None:
    cut = ACCENTED.index(b"\xa9")  # between the two bytes of "é"
    pieces = [ACCENTED[:cut], ACCENTED[cut:], DONE]
    assert streamed(client_for, scripted_server, pieces, framing)[0] == ("text", {"chunk": "hé"})


def test_field_rules(client_for: ClientFor, scripted_server: Start) -> None:
    body = (
        b"id: 7\nretry: 1500\nevent: text\n"
        b'data: {"chunk":\ndata:"multi-line"}\n\n'  # data lines join with LF
        b"event: status\n\n"  # a name and no data: an event with empty data
        b'data: {"chunk": "unnamed"}\n\n'  # no name: "message"
        b"event: usage\ndata: [1, 2]\n\n"  # JSON that is not an object
        b"event: text\ndata: \xff\xfe not json\n\n"  # invalid UTF-8, invalid JSON
        b"event: text\ndata:  two spaces\n\n" + DONE  # only one space is stripped
    )
    with client_for(scripted_server(serve_pieces([body]))) as client:
        events = list(client.stream("support-agent"))

    assert [(event.event, event.data) for event in events[:-1]] == [
        ("text", {"chunk": "multi-line"}),
        ("status", {}),
        ("message", {"chunk": "unnamed"}),
        ("usage", {"value": [1, 2]}),
        ("text", {"_raw": "\ufffd\ufffd not json"}),
        ("text", {"_raw": " two spaces"}),
    ]
    assert events[0].id == "7"
    assert events[-1].event == "done"


@pytest.mark.parametrize("framing", ["chunked", "close"])
def test_end_of_body_without_a_terminal_event(
    client_for: ClientFor, scripted_server: Start, framing: str
) -> None:
    with client_for(scripted_server(serve_pieces([TEXT], framing))) as client:
        stream = client.stream("support-agent")
        assert next(stream).event == "text"
        with pytest.raises(FruxonConnectionError, match="without a terminal event"):
            next(stream)


def test_keepalive_comments_do_not_reset_the_idle_timeout(
    client_for: ClientFor, scripted_server: Start
) -> None:
    stop = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD + chunk(TEXT))
        while not stop.wait(0.03):  # a ping every 30 ms, never another event
            exchange.send(chunk(b": ping\n\n"))

    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.25)
    with client_for(scripted_server(handler), timeout=timeout) as client:
        stream = client.stream("support-agent")
        assert next(stream).event == "text"
        with pytest.raises(FruxonTimeoutError, match="stream idle timeout"):
            next(stream)
    stop.set()


def test_a_silent_server_hits_the_read_timeout(
    client_for: ClientFor, scripted_server: Start
) -> None:
    stop = threading.Event()

    def handler(exchange: Exchange) -> None:
        exchange.keep_alive = False
        exchange.send(CHUNKED_SSE_HEAD)
        stop.wait(5)

    timeout = Timeout(connect=5.0, read=0.2, stream_idle=None)
    with (
        client_for(scripted_server(handler), timeout=timeout) as client,
        pytest.raises(FruxonTimeoutError) as caught,
    ):
        list(client.stream("support-agent"))
    assert caught.value.__cause__ is not None
    stop.set()


def test_a_consumer_pausing_between_events_is_not_idle(
    client_for: ClientFor, scripted_server: Start
) -> None:
    # The idle clock measures waiting for the server, not the caller's own work.
    pieces = [TEXT, TEXT, DONE]
    timeout = Timeout(connect=5.0, read=5.0, stream_idle=0.2)
    with client_for(scripted_server(serve_pieces(pieces)), timeout=timeout) as client:
        events = []
        for event in client.stream("support-agent"):
            events.append(event.event)
            time.sleep(0.3)
    assert events == ["text", "text", "done"]


def test_error_status_with_a_plain_text_body(client_for: ClientFor, scripted_server: Start) -> None:
    def handler(exchange: Exchange) -> None:
        body = b"upstream unavailable"
        exchange.send(
            b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/plain\r\n"
            b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
        )

    with client_for(scripted_server(handler)) as client, pytest.raises(ServerError) as caught:
        list(client.stream("support-agent"))
    assert caught.value.status == 502
    assert caught.value.detail == "upstream unavailable"


def test_a_long_stream_from_the_emulator(make_client: Any, emulator: EmulatorServer) -> None:
    with make_client() as client:
        stream = client.stream("count-agent", parameters={"count": 5000})
        texts = [event.data["chunk"] for event in stream if event.event == "text"]
        assert texts == [f"tok{index} " for index in range(5000)]
        result = stream.final_result
    assert result is not None
    assert result.trace.output_tokens == 5000
