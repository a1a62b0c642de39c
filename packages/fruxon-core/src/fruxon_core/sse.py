"""Incremental Server-Sent-Events decoding: bytes in, events out, no I/O.

The decoder follows the WHATWG ``text/event-stream`` algorithm with two
rules for compatibility with the Fruxon API and the official SDK: a frame
that names an event but carries no ``data`` is still dispatched (the official
``fruxon`` 2.0.2 SDK yields ``StreamEvent(name, {})`` for it), and a frame
left pending at EOF is flushed instead of discarded (servers may omit the
blank line after the final ``done``).

Work is split in two layers so that the byte-level rules are written once:

* :class:`SSEFrameSplitter` handles everything that depends on how the body
  was chunked (BOM, ``CR``/``LF``/``CRLF`` line ends, a ``CRLF`` split across
  chunks, partial lines and partial UTF-8 characters) and hands out complete
  frames only. The sync client reuses it to feed sseclient-py.
* :class:`SSEDecoder` turns complete frames into :class:`ServerSentEvent`
  values. Because it only ever sees whole frames, no field state survives
  between ``feed`` calls except the stream-wide ``id`` and ``retry``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["SSEDecoder", "SSEFrameSplitter", "ServerSentEvent"]

_BOM = b"\xef\xbb\xbf"
# ``bytes in bytes`` first tries the needle as an int and clears the TypeError,
# which costs more than the search itself; an int byte or ``find`` does not.
_CR = 0x0D
_RUN_OF_BLANK_LINES = re.compile(rb"\n{3,}")
# A block made only of frames shaped like ``event: name\ndata: payload\n\n``
# (event optional, one data line) is decoded by a single regex split instead
# of a Python loop over lines; see SSEDecoder._decode_block.
_CANONICAL_FRAME = re.compile(r"(?:event: ?([^\n]*)\n)?data: ?([^\n]*)\n\n")
_match_canonical_frame = _CANONICAL_FRAME.fullmatch
_split_canonical_frames = _CANONICAL_FRAME.split


@dataclass(frozen=True, slots=True)
class ServerSentEvent:
    """One dispatched event.

    ``id`` and ``retry`` are stream state, not frame fields: they carry the
    last event id and the last valid ``retry:`` value seen so far in the
    stream (``None`` if never set), as the WHATWG algorithm defines them.
    """

    event: str = "message"
    data: str = ""
    id: str | None = None
    retry: int | None = None

    # The generated frozen __init__ calls object.__setattr__ once per field,
    # which makes building the event the most expensive step of decoding a
    # frame. Writing through the slot descriptors is about twice as fast and
    # keeps every frozen-dataclass guarantee (assignment still raises).
    def __init__(
        self,
        event: str = "message",
        data: str = "",
        id: str | None = None,
        retry: int | None = None,
    ) -> None:
        _set_event(self, event)
        _set_data(self, data)
        _set_id(self, id)
        _set_retry(self, retry)


_slots = vars(ServerSentEvent)
_set_event = _slots["event"].__set__
_set_data = _slots["data"].__set__
_set_id = _slots["id"].__set__
_set_retry = _slots["retry"].__set__
del _slots


class SSEFrameSplitter:
    """Cut an arbitrarily chunked byte stream into complete SSE frames.

    :meth:`feed` returns a block of zero or more frames in a normal form that
    makes frame-level parsing trivial: the leading BOM is gone, every line
    ends in ``LF``, each frame is non-empty and ends with exactly one blank
    line (``b"\\n\\n"``), and runs of extra blank lines (which dispatch
    nothing) are dropped. Bytes of a frame still in progress stay buffered, so
    a line, a ``CRLF`` or a multi-byte UTF-8 character split across chunks is
    never seen half-way.
    """

    __slots__ = ("_at_start", "_check_chunk_start", "_skip_lf", "_tail")

    def __init__(self) -> None:
        # Bytes of the unfinished frame: never starts with LF, never holds
        # b"\n\n". At the start of the stream it may hold a partial BOM.
        self._tail = bytearray()
        self._at_start = True
        # The previous chunk ended in CR: an LF opening the next chunk is the
        # second half of that CRLF, not another line end.
        self._skip_lf = False
        # Either of the two above: one test on the hot path instead of two.
        self._check_chunk_start = True

    def feed(self, chunk: bytes) -> bytes:
        """Take the next chunk; return the frames it completed (or ``b""``)."""
        if self._check_chunk_start:
            chunk = self._fix_chunk_start(chunk)
        if _CR in chunk:
            self._skip_lf = self._check_chunk_start = chunk.endswith(b"\r")
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        if (
            self._tail
            or not chunk.endswith(b"\n\n")
            or chunk.startswith(b"\n")
            or chunk.find(b"\n\n\n") >= 0
        ):
            return self._cut_frames(chunk)
        return chunk  # the usual case when streaming: whole frames, nothing buffered

    def close(self) -> bytes:
        """EOF: return the unfinished frame, terminated, or ``b""`` if none.

        A final line without its line end counts as a complete line.
        """
        frame = bytes(self._tail)
        self._tail.clear()
        self._at_start = self._check_chunk_start = False
        if frame.endswith(b"\n"):
            frame = frame[:-1]
        return frame + b"\n\n" if frame else b""

    def _fix_chunk_start(self, chunk: bytes) -> bytes:
        if not chunk:
            return chunk
        if self._skip_lf:
            self._skip_lf = False
            if chunk[0] == 0x0A:
                chunk = chunk[1:]
        if self._at_start:
            chunk = self._strip_bom(chunk)
        self._check_chunk_start = self._at_start
        return chunk

    def _strip_bom(self, chunk: bytes) -> bytes:
        start = bytes(self._tail) + chunk
        self._tail.clear()
        if len(start) < len(_BOM) and _BOM.startswith(start):
            self._tail += start  # could still become a BOM: wait for more
            return b""
        self._at_start = False
        return start[len(_BOM) :] if start.startswith(_BOM) else start

    def _cut_frames(self, chunk: bytes) -> bytes:
        tail = self._tail
        if tail:
            # The old tail holds no b"\n\n", but its last LF may pair with one
            # opening the chunk.
            search_from = len(tail) - 1
            tail += chunk
            buffer: bytes | bytearray = tail
        else:
            chunk = chunk.lstrip(b"\n")  # blank lines between frames: no-ops
            search_from = 0
            buffer = chunk
        end = buffer.rfind(b"\n\n", search_from)
        if end < 0:
            if buffer is chunk:
                tail += chunk
            return b""
        # ``end`` is the last LF pair, so what stays buffered starts a line
        # that is not blank; surplus blank lines inside the block go below.
        block = bytes(buffer[: end + 2])
        if buffer is tail:
            del tail[: end + 2]
        else:
            tail += chunk[end + 2 :]
        if block.find(b"\n\n\n") >= 0:
            block = _RUN_OF_BLANK_LINES.sub(b"\n\n", block)
        return block


class SSEDecoder:
    """Incremental decoder: feed any chunking of the byte stream, get the same events.

    Invalid UTF-8 decodes to U+FFFD; the decoder never raises on stream
    content. Call :meth:`close` at EOF to flush a final frame that lacked its
    blank line.
    """

    __slots__ = ("_closed", "_last_event_id", "_retry", "_splitter")

    def __init__(self) -> None:
        self._splitter = SSEFrameSplitter()
        self._last_event_id: str | None = None
        self._retry: int | None = None
        self._closed = False

    @property
    def last_event_id(self) -> str | None:
        """The last ``id:`` value accepted so far (``None`` if none was)."""
        return self._last_event_id

    @property
    def retry(self) -> int | None:
        """The last valid ``retry:`` value in milliseconds (``None`` if none)."""
        return self._retry

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Decode the next chunk; return the events it completed."""
        if self._closed:
            raise RuntimeError("SSEDecoder.feed() called after close()")
        block = self._splitter.feed(chunk)
        return self._decode_block(block) if block else []

    def close(self) -> list[ServerSentEvent]:
        """Signal EOF; return the event of a frame left pending, if any."""
        if self._closed:
            return []
        self._closed = True
        block = self._splitter.close()
        return self._decode_block(block) if block else []

    def _decode_block(self, block: bytes) -> list[ServerSentEvent]:
        # Decoding whole lines at once is the same as decoding line by line:
        # LF is ASCII, so an invalid sequence never swallows a line end.
        text = block.decode("utf-8", "replace")
        single = _match_canonical_frame(text)
        if single:  # one frame per chunk, as a live stream usually arrives
            event, data = single.groups()
            return [ServerSentEvent(event or "message", data, self._last_event_id, self._retry)]
        parts = _split_canonical_frames(text)
        # parts = [gap, event, data, gap, event, data, ..., gap]: if every gap
        # is empty the canonical frames tile the whole block.
        if not any(parts[::3]):
            last_event_id, retry = self._last_event_id, self._retry
            return [
                ServerSentEvent(event or "message", data, last_event_id, retry)
                for event, data in zip(parts[1::3], parts[2::3], strict=True)
            ]
        events = []
        for frame in text[:-2].split("\n\n"):
            decoded = self._decode_frame(frame)
            if decoded is not None:
                events.append(decoded)
        return events

    def _decode_frame(self, frame: str) -> ServerSentEvent | None:
        event: str | None = None
        data: list[str] = []
        for line in frame.split("\n"):
            name, colon, value = line.partition(":")
            if colon:
                if not name:
                    continue  # comment
                if value[:1] == " ":
                    value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value
            elif name == "id":
                if "\x00" not in value:
                    self._last_event_id = value
            elif name == "retry":
                retry = _parse_retry(value)
                if retry is not None:
                    self._retry = retry
        if event is None and not data:
            return None  # only comments, id, retry or unknown fields
        return ServerSentEvent(
            event or "message", "\n".join(data), self._last_event_id, self._retry
        )


def _parse_retry(value: str) -> int | None:
    """Return a ``retry:`` value in ms, or ``None`` if WHATWG says to ignore it.

    Only ASCII digits are accepted. A value too long for ``int()`` to parse
    (over 4300 digits) is ignored rather than allowed to raise.
    """
    if not (value.isascii() and value.isdigit()):
        return None
    try:
        return int(value)
    except ValueError:
        return None
