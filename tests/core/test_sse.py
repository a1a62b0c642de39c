"""SSEDecoder: bytes in, events out, in every chunking (WHATWG + spec §5.3 compatibility)."""

from __future__ import annotations

import ast
import contextlib
import dataclasses
import pickle
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fruxon_core import sse as sse_module
from fruxon_core.sse import ServerSentEvent, SSEDecoder, SSEFrameSplitter

BOM = b"\xef\xbb\xbf"
E = ServerSentEvent


def decode(*chunks: bytes) -> list[ServerSentEvent]:
    decoder = SSEDecoder()
    events = [event for chunk in chunks for event in decoder.feed(chunk)]
    return events + decoder.close()


def decode_bytewise(stream: bytes) -> list[ServerSentEvent]:
    return decode(*(stream[i : i + 1] for i in range(len(stream))))


def reference_decode(stream: bytes) -> list[ServerSentEvent]:
    """The algorithm written as plainly as possible, on the whole stream at once."""
    if stream.startswith(BOM):
        stream = stream[3:]
    lines = re.split(r"\r\n|\r|\n", stream.decode("utf-8", "replace"))
    if lines[-1] == "":
        lines.pop()  # the stream ended with a line end: no partial line
    events: list[ServerSentEvent] = []
    name: str | None = None
    data: list[str] = []
    last_id: str | None = None
    retry: int | None = None
    for line in [*lines, ""]:  # EOF flushes like a final blank line
        if line == "":
            if name is not None or data:
                events.append(E(name or "message", "\n".join(data), last_id, retry))
            name, data = None, []
            continue
        if line.startswith(":"):
            continue
        field, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
        elif field == "id" and "\0" not in value:
            last_id = value
        elif field == "retry" and re.fullmatch("[0-9]+", value):
            with contextlib.suppress(ValueError):  # longer than int() parses: ignored
                retry = int(value)
    return events


# ---------------------------------------------------------------------------
# Table of rules: (stream as chunks, expected events)
# ---------------------------------------------------------------------------

CASES: dict[str, tuple[list[bytes], list[ServerSentEvent]]] = {
    "canonical frame": (
        [b'event: text\ndata: {"chunk":"hi"}\n\n'],
        [E("text", '{"chunk":"hi"}')],
    ),
    "no event line means message": ([b"data: x\n\n"], [E("message", "x")]),
    "empty event value means message": ([b"event:\ndata: x\n\n"], [E("message", "x")]),
    "LF line ends": ([b"event: a\ndata: 1\n\ndata: 2\n\n"], [E("a", "1"), E("message", "2")]),
    "CRLF line ends": (
        [b"event: a\r\ndata: 1\r\n\r\ndata: 2\r\n\r\n"],
        [E("a", "1"), E("message", "2")],
    ),
    "lone CR line ends": ([b"event: a\rdata: 1\r\rdata: 2\r\r"], [E("a", "1"), E("message", "2")]),
    "mixed line ends": (
        [b"data: 1\r\n\ndata: 2\n\r\ndata: 3\r\r\ndata: 4\n\r"],
        [E("message", "1"), E("message", "2"), E("message", "3"), E("message", "4")],
    ),
    "CRLF split across chunks is one line end": (
        [b"data: 1\r", b"\ndata: 2\r", b"\n\r", b"\n"],
        [E("message", "1\n2")],
    ),
    "CR at chunk end then blank LF-less chunk": (
        [b"data: 1\r", b"\r", b"data: 2\n\n"],
        [E("message", "1"), E("message", "2")],
    ),
    "CR carry-over survives an empty chunk": (
        [b"data: 1\r", b"", b"\n", b"\n"],
        [E("message", "1")],
    ),
    "CR then CR is two line ends": ([b"data: 1\r", b"\r"], [E("message", "1")]),
    "LF split from CR by chunk boundary then blank CRLF": (
        [b"data: 1\r", b"\n", b"\r\n"],
        [E("message", "1")],
    ),
    "BOM skipped": ([BOM + b"data: x\n\n"], [E("message", "x")]),
    "BOM split across chunks": ([b"\xef", b"\xbb", b"\xbfdata: x\n\n"], [E("message", "x")]),
    "BOM split with text after": ([b"\xef\xbb", b"\xbfevent: a\ndata: x\n\n"], [E("a", "x")]),
    "only the first BOM is skipped": (
        [BOM + BOM + b"data: x\n\ndata: y\n\n"],
        [E("message", "y")],  # "\ufeffdata" is an unknown field
    ),
    "BOM not at start is data": ([b"data: " + BOM + b"x\n\n"], [E("message", "\ufeffx")]),
    "partial BOM then EOF": ([b"\xef\xbb"], []),
    "exactly one space stripped": (
        [b"data:  two\n\ndata:none\n\nevent:   sp\ndata: \n\n"],
        [E("message", " two"), E("message", "none"), E("  sp", "")],
    ),
    "tab is not stripped": (
        [b"data:\tx\n\nid: 1\nevent:\ty\ndata:\tz\n\n"],
        [E("message", "\tx"), E("\ty", "\tz", "1")],
    ),
    "data without colon is an empty data line": (
        [b"data\n\ndata\ndata\n\n"],
        [E("message", ""), E("message", "\n")],
    ),
    "value may contain colons": ([b"data: a: b:c\n\n"], [E("message", "a: b:c")]),
    "multi-line data joined with LF": (
        [b"data: a\ndata:\ndata: c\n\n"],
        [E("message", "a\n\nc")],
    ),
    "data: with empty value dispatches empty data": ([b"data:\n\n"], [E("message", "")]),
    "comments ignored": (
        [b": ping\n\n:\n\nevent: a\n: inside\ndata: x\n\n"],
        [E("a", "x")],
    ),
    "comment-only frame not dispatched": ([b": keep-alive\n\n"], []),
    "unknown fields ignored": (
        [b"foo: bar\nDATA: no\n data: no\ndata : no\ndata: yes\n\n"],
        [E("message", "yes")],
    ),
    "unknown-field-only frame not dispatched": ([b"foo: bar\n\n"], []),
    "last event line wins": ([b"event: a\nevent: b\ndata: x\n\n"], [E("b", "x")]),
    "name-only frame dispatched with empty data": (
        [b"event: done\n\n"],
        [E("done", "")],
    ),
    "id persists across events": (
        [b"id: 1\ndata: a\n\ndata: b\n\nid: 2\nevent: c\n\n"],
        [E("message", "a", "1"), E("message", "b", "1"), E("c", "", "2")],
    ),
    "id-only frame sets id but is not dispatched": (
        [b"id: 7\n\ndata: a\n\n"],
        [E("message", "a", "7")],
    ),
    "empty id resets to empty string": (
        [b"id: 1\ndata: a\n\nid\ndata: b\n\n"],
        [E("message", "a", "1"), E("message", "b", "")],
    ),
    "id with NUL ignored": (
        [b"id: 1\ndata: a\n\nid: 2\x003\ndata: b\n\n"],
        [E("message", "a", "1"), E("message", "b", "1")],
    ),
    "id after data in the same frame applies to it": (
        [b"data: a\nid: 9\n\n"],
        [E("message", "a", "9")],
    ),
    "retry sets reconnection time": (
        [b"retry: 1500\ndata: a\n\ndata: b\n\n"],
        [E("message", "a", None, 1500), E("message", "b", None, 1500)],
    ),
    "retry-only frame not dispatched but remembered": (
        [b"retry: 10\n\ndata: a\n\n"],
        [E("message", "a", None, 10)],
    ),
    "invalid retry ignored": (
        [b"retry: 5\n\nretry: 1.5\nretry: -1\nretry: x\nretry:\nretry\nretry:  7\ndata: a\n\n"],
        [E("message", "a", None, 5)],
    ),
    "non-ASCII digits are not a retry": (
        ["retry: \u0661\u0662\ndata: a\n\n".encode()],
        [E("message", "a")],
    ),
    "retry too long for int() ignored": (
        [b"retry: " + b"9" * 5000 + b"\ndata: a\n\n"],
        [E("message", "a")],
    ),
    "blank lines between frames are no-ops": (
        [b"\n\n\ndata: a\n\n\n\n\ndata: b\n\n\n"],
        [E("message", "a"), E("message", "b")],
    ),
    "EOF flushes a frame without its blank line": (
        [b'data: a\n\nevent: done\ndata: {"x":1}\n'],
        [E("message", "a"), E("done", '{"x":1}')],
    ),
    "EOF flushes a partial last line": (
        [b"event: done\ndata: {}"],
        [E("done", "{}")],
    ),
    "EOF flushes a partial name-only frame": ([b"event: done"], [E("done", "")]),
    "EOF after CR line end": ([b"data: a\r"], [E("message", "a")]),
    "EOF with only a partial comment": ([b"data: a\n\n: bye"], [E("message", "a")]),
    "EOF with pending id only": ([b"data: a\n\nid: 5"], [E("message", "a")]),
    "UTF-8 split across chunks": (
        [b"data: \xe2", b"\x82", b"\xac \xf0\x9f", b"\x98\x80\n\n"],
        [E("message", "\u20ac \U0001f600")],
    ),
    "invalid UTF-8 becomes U+FFFD": (
        [b"data: a\xffb\xe2\x82\n\nevent: \xc3\n\n"],
        [E("message", "a\ufffdb\ufffd"), E("\ufffd", "")],
    ),
    "truncated UTF-8 at EOF": ([b"data: \xe2\x82"], [E("message", "\ufffd")]),
    "NUL in data is kept": ([b"data: a\x00b\n\n"], [E("message", "a\x00b")]),
    "frame split at every possible place": (
        [b"ev", b"ent: t", b"ext\nda", b"ta: x", b"\n", b"\n"],
        [E("text", "x")],
    ),
    "many frames in one chunk, last incomplete": (
        [b"data: 1\n\ndata: 2\n\ndata: 3", b"\n\n"],
        [E("message", "1"), E("message", "2"), E("message", "3")],
    ),
    "empty stream": ([], []),
    "empty chunks": ([b"", b"", b"data: a\n\n", b""], [E("message", "a")]),
}


@pytest.mark.parametrize(("chunks", "expected"), list(CASES.values()), ids=list(CASES))
def test_rule(chunks: list[bytes], expected: list[ServerSentEvent]) -> None:
    assert decode(*chunks) == expected
    whole = b"".join(chunks)
    assert decode(whole) == expected
    assert decode_bytewise(whole) == expected
    assert reference_decode(whole) == expected


def test_events_are_returned_by_the_feed_that_completes_them() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"event: a\ndata: 1\n") == []
    assert decoder.feed(b"\ndata: 2\n\ndata: 3") == [E("a", "1"), E("message", "2")]
    assert decoder.feed(b"\n") == []
    assert decoder.feed(b"\n") == [E("message", "3")]
    # A CR ends its line at once: no need to wait for a possible LF.
    assert decoder.feed(b"data: 4\r\n\r") == [E("message", "4")]
    assert decoder.feed(b"\n") == []
    assert decoder.close() == []


def test_last_event_id_and_retry_properties() -> None:
    decoder = SSEDecoder()
    assert (decoder.last_event_id, decoder.retry) == (None, None)
    decoder.feed(b"id: 42\nretry: 3000\n\n")
    assert (decoder.last_event_id, decoder.retry) == ("42", 3000)
    decoder.feed(b"id: a\x00\nretry: soon\n\n")
    assert (decoder.last_event_id, decoder.retry) == ("42", 3000)


def test_feed_after_close_raises() -> None:
    decoder = SSEDecoder()
    decoder.feed(b"data: a")
    assert decoder.close() == [E("message", "a")]
    with pytest.raises(RuntimeError, match="after close"):
        decoder.feed(b"data: b\n\n")
    assert decoder.close() == []  # closing twice is harmless


def test_large_chunks_of_canonical_frames_take_the_fast_path_correctly() -> None:
    frames = b"".join(
        b'event: text\ndata: {"chunk":"%d"}\n\n' % i if i % 7 else b"data: %d\n\n" % i
        for i in range(5000)
    )
    expected = [
        E("text", f'{{"chunk":"{i}"}}') if i % 7 else E("message", str(i)) for i in range(5000)
    ]
    chunks = [frames[i : i + 65536] for i in range(0, len(frames), 65536)]
    assert decode(*chunks) == expected
    # One non-canonical frame sends its block down the general path: same result.
    mixed = frames.replace(b"data: 700\n\n", b": ping\ndata:700\n\n")
    assert decode(mixed) == expected


# ---------------------------------------------------------------------------
# ServerSentEvent value semantics
# ---------------------------------------------------------------------------


def test_server_sent_event_is_a_frozen_value() -> None:
    event = E("text", "x", "1", 5)
    assert E() == E("message", "", None, None)
    assert event == E(event="text", data="x", id="1", retry=5)
    assert hash(event) == hash(E("text", "x", "1", 5))
    assert dataclasses.replace(event, data="y") == E("text", "y", "1", 5)
    assert pickle.loads(pickle.dumps(event)) == event
    assert repr(event) == "ServerSentEvent(event='text', data='x', id='1', retry=5)"
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.data = "changed"  # type: ignore[misc]
    assert not hasattr(event, "__dict__")


def test_sse_module_imports_only_the_standard_library() -> None:
    tree = ast.parse(Path(sse_module.__file__).read_text("utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}
    assert not imported & {"socket", "ssl", "asyncio", "selectors", "io", "os"}


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

#: Pieces that exercise every rule when glued together in any order.
SSE_PIECES = [
    b"event: text",
    b"event:done",
    b"event",
    b"data: x",
    b"data:  spaced",
    b"data:\ttab",
    b"data",
    b'data: {"chunk":"\xe2\x82\xac"}',
    b"data: \xff\xfe",
    b": comment",
    b":",
    b"id: 1",
    b"id: 2\x00",
    b"id",
    b"retry: 100",
    b"retry: 1x",
    b"unknown: z",
    b" data: lead",
    b"\xef\xbb\xbfdata: bom",
    b"",
    b"\r",
    b"\n",
    b"\r\n",
]


@st.composite
def sse_streams(draw: st.DrawFn) -> bytes:
    pieces = draw(st.lists(st.sampled_from(SSE_PIECES), max_size=40))
    endings = draw(st.lists(st.sampled_from([b"\n", b"\r", b"\r\n"]), min_size=len(pieces)))
    body = b"".join(piece + ending for piece, ending in zip(pieces, endings, strict=False))
    if draw(st.booleans()):
        body = body.rstrip(b"\r\n")  # drop the final line end: EOF flush
    return (BOM if draw(st.booleans()) else b"") + body


def split_at(stream: bytes, cuts: list[int]) -> list[bytes]:
    points = sorted({cut % (len(stream) + 1) for cut in cuts})
    return [stream[a:b] for a, b in zip([0, *points], [*points, len(stream)], strict=True)]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    stream=st.one_of(sse_streams(), st.binary(max_size=300)),
    cuts=st.lists(st.integers(min_value=0, max_value=10_000), max_size=20),
)
def test_any_chunking_gives_the_same_events(stream: bytes, cuts: list[int]) -> None:
    whole = decode(stream)
    assert decode(*split_at(stream, cuts)) == whole
    assert decode_bytewise(stream) == whole
    assert whole == reference_decode(stream)


@st.composite
def event_specs(draw: st.DrawFn) -> list[tuple[str | None, str | None, str | None, int | None]]:
    """Frames as (event, data, id, retry); None means the field is absent."""
    line_text = st.text(st.characters(exclude_characters="\r\n", codec="utf-8"), max_size=12)
    data_text = st.text(st.characters(exclude_characters="\r", codec="utf-8"), max_size=20)
    ids = st.text(st.characters(exclude_characters="\r\n\x00", codec="utf-8"), max_size=6)
    spec = st.tuples(
        st.none() | line_text,
        st.none() | data_text,
        st.none() | ids,
        st.none() | st.integers(min_value=0, max_value=10**12),
    )
    return draw(st.lists(spec, max_size=12))


def encode_frames(
    specs: list[tuple[str | None, str | None, str | None, int | None]],
    endings: st.DataObject,
) -> bytes:
    lines: list[str] = []
    for event, data, last_id, retry in specs:
        lines.append(": frame")
        if last_id is not None:
            lines.append(f"id: {last_id}")
        if event is not None:
            lines.append(f"event: {event}")
        if data is not None:
            lines.extend(f"data: {line}" for line in data.split("\n"))
        if retry is not None:
            lines.append(f"retry: {retry}")
        lines.append("")
    out: list[bytes] = []
    previous = b"\n"
    for line in lines:
        ending = endings.draw(st.sampled_from([b"\n", b"\r", b"\r\n"]))
        if previous == b"\r" and line == "" and ending == b"\n":
            ending = b"\r"  # CR + an empty LF line would read as one CRLF
        out.append(line.encode() + ending)
        previous = ending
    return b"".join(out)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs=event_specs(), bom=st.booleans(), data=st.data())
def test_encoded_events_decode_back(
    specs: list[tuple[str | None, str | None, str | None, int | None]],
    bom: bool,
    data: st.DataObject,
) -> None:
    stream = (BOM if bom else b"") + encode_frames(specs, data)
    expected = []
    last_id: str | None = None
    retry: int | None = None
    for event, payload, frame_id, frame_retry in specs:
        last_id = frame_id if frame_id is not None else last_id
        retry = frame_retry if frame_retry is not None else retry
        if event is not None or payload is not None:
            expected.append(E(event or "message", payload or "", last_id, retry))
    cuts = data.draw(st.lists(st.integers(min_value=0, max_value=10_000), max_size=10))
    assert decode(*split_at(stream, cuts)) == expected


# ---------------------------------------------------------------------------
# SSEFrameSplitter normal form
# ---------------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(stream=sse_streams(), cuts=st.lists(st.integers(min_value=0, max_value=10_000)))
def test_splitter_blocks_are_whole_lf_only_frames(stream: bytes, cuts: list[int]) -> None:
    splitter = SSEFrameSplitter()
    blocks = [splitter.feed(chunk) for chunk in split_at(stream, cuts)]
    blocks.append(splitter.close())
    for block in filter(None, blocks):
        assert block.endswith(b"\n\n")
        assert not block.startswith(b"\n")
        assert b"\r" not in block
        assert b"\n\n\n" not in block
    whole = SSEFrameSplitter()
    assert b"".join(blocks) == whole.feed(stream) + whole.close()
