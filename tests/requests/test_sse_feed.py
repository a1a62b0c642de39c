"""iter_server_sent_events: sseclient-py, corrected so its events equal SSEDecoder's."""

from __future__ import annotations

import itertools
import types
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sseclient import SSEClient

from fruxon_core.sse import ServerSentEvent, SSEDecoder
from fruxon_requests import sse_feed
from fruxon_requests.sse_feed import iter_server_sent_events

BOM = b"\xef\xbb\xbf"
E = ServerSentEvent


def decoder_events(chunks: list[bytes]) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def stock_sseclient_events(chunks: list[bytes]) -> list[ServerSentEvent]:
    """What sseclient-py alone makes of the stream (id/retry left out: it has no stream state)."""
    return [E(event.event, event.data) for event in SSEClient(iter(chunks)).events()]


@pytest.fixture(params=["frame-client", "stock-client-fallback"])
def client_mode(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Run a test through the fast ``_read`` override and through the fallback path."""
    if request.param == "stock-client-fallback":
        monkeypatch.setattr(sse_feed, "_frame_client_works", lambda: False)
    return str(request.param)


def test_installed_sseclient_takes_the_fast_path() -> None:
    # If a new sseclient-py stopped reading through _read(), the adapter would
    # silently fall back to the slower stock framing; make that visible.
    assert sse_feed._frame_client_works()


# ---------------------------------------------------------------------------
# The deviations the adapter exists for
# ---------------------------------------------------------------------------

DEVIATIONS: dict[str, tuple[list[bytes], list[ServerSentEvent]]] = {
    "leading BOM": (
        [BOM + b"event: text\ndata: hi\n\n"],
        [E("text", "hi")],
    ),
    "leading BOM split across chunks": (
        [b"\xef\xbb", b"\xbfdata: hi\n\n"],
        [E("message", "hi")],
    ),
    "frame merged across a CRLF blank line after an LF line": (
        [b"event: a\ndata: 1\n\r\nevent: b\ndata: 2\n\r\n"],
        [E("a", "1"), E("b", "2")],
    ),
    "frame merged across a lone-CR blank line after CRLF": (
        [b"data: 1\r\n\rdata: 2\r\n\r"],
        [E("message", "1"), E("message", "2")],
    ),
    "partial name-only frame at EOF": (
        [b"data: a\n\nevent: done"],
        [E("message", "a"), E("done", "")],
    ),
    "name-only frame": ([b"event: done\n\n"], [E("done", "")]),
    "invalid UTF-8": ([b"data: \xff\n\n"], [E("message", "\ufffd")]),
}


@pytest.mark.parametrize(("chunks", "expected"), list(DEVIATIONS.values()), ids=list(DEVIATIONS))
def test_deviation_is_corrected(
    chunks: list[bytes], expected: list[ServerSentEvent], client_mode: str
) -> None:
    assert list(iter_server_sent_events(chunks)) == expected
    assert decoder_events(chunks) == expected
    # The case really exercises a deviation: sseclient-py alone gets it wrong.
    try:
        stock = stock_sseclient_events(chunks)
    except UnicodeDecodeError:
        return
    assert stock != expected


def test_id_and_retry_follow_the_stream_not_the_frame(client_mode: str) -> None:
    chunks = [
        b"id: 1\nretry: 500\n\n",  # not dispatched, but sets both
        b"data: a\n\n",
        b"id: 2\x00\nretry: later\ndata: b\n\n",  # both invalid: ignored
        b"id: 3\nid: 4\x00\ndata: c\n\n",
        b": ping\nretry: -1\nretry:  7\nretry: 1_0\nretry: +5\n\n",
        b"data: d\n\n",
    ]
    expected = [
        E("message", "a", "1", 500),
        E("message", "b", "1", 500),
        E("message", "c", "3", 500),
        E("message", "d", "3", 500),
    ]
    assert list(iter_server_sent_events(chunks)) == expected
    assert decoder_events(chunks) == expected


def test_comment_only_and_unknown_field_frames_are_not_dispatched(client_mode: str) -> None:
    chunks = [b": ping\n\nfoo: bar\n\n:\n\n", b"data: x\n\n"]
    assert list(iter_server_sent_events(chunks)) == [E("message", "x")]


@pytest.mark.parametrize(
    ("chunks", "expected"),
    [
        # Each second chunk looks like a whole frame on its own, but continues
        # what the first left pending, so it must not skip the splitter.
        ([b"data: a\n", b"data: b\n\n"], [E("message", "a\nb")]),
        ([b"data: a\n\nevent: x", b"data: b\n\n"], [E("message", "a"), E("xdata: b", "")]),
        ([b"\xef\xbb", b"data: x\n\n"], []),  # "\xef\xbbdata" is an unknown field
        ([b"data: a\r", b"\ndata: b\n\n"], [E("message", "a\nb")]),
        ([b"data: a\n\n", b"", b"data: b\n\n"], [E("message", "a"), E("message", "b")]),
    ],
)
def test_chunks_shaped_like_whole_frames_respect_pending_bytes(
    chunks: list[bytes], expected: list[ServerSentEvent]
) -> None:
    assert list(iter_server_sent_events(chunks)) == expected
    assert decoder_events(chunks) == expected


def test_large_chunks_of_canonical_frames() -> None:
    body = b"".join(b'event: text\ndata: {"chunk":"%d"}\n\n' % i for i in range(3000))
    chunks = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    events = list(iter_server_sent_events(chunks))
    assert events == [E("text", f'{{"chunk":"{i}"}}') for i in range(3000)]


# ---------------------------------------------------------------------------
# No read-ahead: the events of chunk k come out before chunk k+1 is pulled
# ---------------------------------------------------------------------------


class RecordingSource:
    """An iterator of chunks that counts how many have been pulled."""

    def __init__(self, chunks: list[bytes]) -> None:
        self._chunks = chunks
        self.pulled = 0

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self._chunks:
            self.pulled += 1
            yield chunk


@pytest.mark.parametrize(
    ("chunks", "complete_after"),
    [
        # one frame per chunk
        ([b"event: a\ndata: 1\n\n", b"data: 2\n\n", b"event: done\ndata: {}\n\n"], [1, 2, 3]),
        # two frames in the first chunk, a frame split over two chunks
        ([b"data: 1\n\ndata: 2\n\n", b"data: ", b"3\n\n"], [1, 1, 3]),
        # CRLF frames whose blank line's LF arrives in the next chunk: the CR
        # already ends the line, so the event is out before that LF is pulled
        ([b"data: 1\r\n\r", b"\ndata: 2\r\n\r", b"\n"], [1, 2]),
        # a frame that needs the slow path (id line) and a name-only frame
        ([b"id: 9\ndata: 1\n\n", b"event: done\n\n"], [1, 2]),
    ],
)
def test_events_are_yielded_before_the_next_chunk_is_pulled(
    chunks: list[bytes], complete_after: list[int], client_mode: str
) -> None:
    source = RecordingSource(chunks)
    pulled_at_event = [source.pulled for _ in iter_server_sent_events(iter(source))]
    assert pulled_at_event == complete_after


def test_stopping_early_pulls_nothing_more() -> None:
    source = RecordingSource([b"event: done\ndata: {}\n\n", b"never read\n\n"])
    events = iter_server_sent_events(iter(source))
    assert isinstance(events, types.GeneratorType)
    assert next(events) == E("done", "{}")
    events.close()
    assert source.pulled == 1


# ---------------------------------------------------------------------------
# Differential property: adapter == SSEDecoder for any stream and chunking
# ---------------------------------------------------------------------------

LINES = [
    b"event: text",
    b"event:done",
    b"event:",
    b"event",
    b"data: x",
    b'data: {"chunk":"tok "}',
    b"data:  spaced",
    b"data:",
    b"data",
    b"data: \xe2\x82\xac",
    b"data: \xf0\x9f",
    b": ping",
    b":",
    b"id: 1",
    b"id: 2\x00",
    b"id",
    b"retry: 250",
    b"retry: 2.5",
    b"retry: -1",
    b"retry:  7",
    b"retry: 1_0",
    b"retry",
    b"foo: bar",
    b" data: leading space",
    b"\xef\xbb\xbfdata: bom",
    b"\t",
    b"",
]


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    frames = draw(
        st.lists(st.lists(st.sampled_from(LINES[:-1]), min_size=1, max_size=5), max_size=10)
    )
    ending = st.sampled_from([b"\n", b"\r", b"\r\n"])
    out = [BOM] if draw(st.booleans()) else []
    for frame in frames:
        for line in frame:
            out.append(line + draw(ending))
        for _ in range(draw(st.integers(min_value=0, max_value=2))):
            out.append(draw(ending))  # blank lines: dispatch, or no-op
    body = b"".join(out)
    if draw(st.booleans()):
        body = body.rstrip(b"\r\n")  # the server left off the final blank line
    return body


@st.composite
def chunked(draw: st.DrawFn, streams: st.SearchStrategy[bytes]) -> list[bytes]:
    stream = draw(streams)
    cuts = draw(st.lists(st.integers(min_value=0, max_value=len(stream)), max_size=12))
    points = [0, *sorted(cuts), len(stream)]
    return [stream[a:b] for a, b in itertools.pairwise(points)]


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunked(sse_streams()))
def test_adapter_matches_decoder(chunks: list[bytes]) -> None:
    assert list(iter_server_sent_events(chunks)) == decoder_events(chunks)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunked(st.binary(max_size=200)))
def test_adapter_matches_decoder_on_arbitrary_bytes(chunks: list[bytes]) -> None:
    assert list(iter_server_sent_events(chunks)) == decoder_events(chunks)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(chunks=chunked(sse_streams()))
def test_fallback_path_matches_decoder(chunks: list[bytes]) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setattr(sse_feed, "_frame_client_works", lambda: False)
        assert list(iter_server_sent_events(chunks)) == decoder_events(chunks)
