"""sseclient-py, fed so that its events equal :class:`fruxon_core.sse.SSEDecoder`'s.

sseclient-py (1.8/1.9) parses fields well, but it frames the stream and keeps
state its own way, which is not how the WHATWG rules (and
:class:`~fruxon_core.sse.SSEDecoder`) do it:

* it keeps a leading UTF-8 BOM, glued to the first field name;
* a frame ends only at ``\\n\\n``, ``\\r\\r`` or ``\\r\\n\\r\\n``. A ``CRLF`` line
  followed by a bare ``LF`` or ``CR`` blank line (or a ``CRLF`` split across
  chunks) merges two frames;
* at EOF it dispatches the unfinished frame only in some cases, and ignores a
  bare ``CR`` line end inside it;
* invalid UTF-8 raises ``UnicodeDecodeError``;
* ``id`` and ``retry`` apply to one frame only. It accepts an ``id`` that
  contains NUL, keeps a non-numeric ``retry`` as a string, and forgets ids
  sent in frames with no data;
* it drops a frame that names an event but has no ``data`` line.

:class:`SSEClientFeed` fixes all of this before sseclient-py sees a byte. It
cuts the stream into complete ``LF``-only frames with
:class:`fruxon_core.sse.SSEFrameSplitter`, repairs invalid UTF-8, and handles
the rare frames sseclient-py would get wrong itself (frames with id or retry
lines, name-only frames, frames that dispatch nothing). sseclient-py still
parses the ``event`` and ``data`` fields of every event.

Speed: the frames go to sseclient-py through its ``_read()`` hook, which
skips its line-by-line re-framing (its slowest part). A one-time behavioural
probe falls back to the stock client, fed terminated frames, should a future
release stop calling that hook.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Iterable, Iterator
from typing import Any

from sseclient import SSEClient

from fruxon_core.sse import ServerSentEvent, SSEFrameSplitter

__all__ = ["SSEClientFeed", "SSEClientParser", "iter_server_sent_events"]

# Every frame in such a block is an optional event line plus one or more data
# lines. sseclient-py parses these right, and there is no id/retry state to
# track, so the whole block is passed on without a Python loop over frames.
_PASS_THROUGH_FRAME = rb"(?:event:[^\n]*\n)?(?:data(?::[^\n]*)?\n)+\n"
_is_pass_through_frame = re.compile(_PASS_THROUGH_FRAME).fullmatch
_is_pass_through_block = re.compile(rb"(?:%s)*" % _PASS_THROUGH_FRAME).fullmatch


class SSEClientFeed:
    """Turn a raw SSE body, chunk by chunk, into the frames sseclient-py should see.

    Give each body chunk to :meth:`feed` (and call :meth:`close` at the end of
    the body); iterate the frames it returns as sseclient-py's event source and
    read :attr:`last_event_id` and :attr:`retry` when it yields an event. A
    frame that changes either one is handed over on its own, lazily, so both
    are current for exactly the event being yielded.

    Frames come without their closing blank line unless ``terminate_frames``
    is set, which a client that re-frames the byte stream itself needs.
    """

    def __init__(self, *, terminate_frames: bool = False) -> None:
        self._splitter = SSEFrameSplitter()
        self._terminate_frames = terminate_frames
        self._in_sync = False
        self.last_event_id: str | None = None
        self.retry: int | None = None

    def feed(self, raw: bytes) -> Iterable[bytes]:
        """The complete frames ``raw`` finished (no read-ahead: nothing waits for more bytes).

        Servers usually write one canonical frame per chunk. While the
        splitter holds nothing (the previous chunk ended with a blank line,
        so no partial line, ``CRLF`` or BOM is pending), an ASCII chunk of
        whole frames without ``CR`` is already in the splitter's normal form
        and skips it.
        """
        fast = not self._terminate_frames
        if self._in_sync and fast and raw.isascii() and 0x0D not in raw:  # int: see fruxon_core.sse
            first_end = raw.find(b"\n\n")
            if first_end == len(raw) - 2 and _is_pass_through_frame(raw):
                return (raw[:first_end],)  # one whole frame: the common case
            if first_end >= 0 and raw.endswith(b"\n\n") and _is_pass_through_block(raw):
                return raw[:-2].split(b"\n\n")
        self._in_sync = raw.endswith(b"\n\n")
        block = self._splitter.feed(raw)
        if not block:
            return ()
        if fast and block.isascii() and _is_pass_through_block(block):
            return block[:-2].split(b"\n\n")
        return self._frames_of(block)

    def close(self) -> Iterable[bytes]:
        """The frames of an unterminated end of the body."""
        block = self._splitter.close()
        return self._frames_of(block) if block else ()

    def frames(self, raw_chunks: Iterable[bytes]) -> Iterator[bytes]:
        """Every frame of a whole body, pulling one raw chunk at a time."""
        for raw in raw_chunks:
            yield from self.feed(raw)
        yield from self.close()

    def _frames_of(self, block: bytes) -> Iterator[bytes]:
        if not block.isascii():
            block = _repair_utf8(block)
        terminator = b"\n\n" if self._terminate_frames else b""
        if _is_pass_through_block(block):
            for frame in block[:-2].split(b"\n\n"):
                yield frame + terminator
            return
        for frame in block[:-2].split(b"\n\n"):
            # One at a time: the id/retry state must change between events.
            prepared = self._apply_frame(frame)
            if prepared:
                yield prepared + terminator

    def _apply_frame(self, frame: bytes) -> bytes:
        """Record the frame's id/retry lines; return what sseclient-py should parse."""
        has_data = has_event = False
        for line in frame.split(b"\n"):
            name, colon, value = line.partition(b":")
            if colon:
                if not name:
                    continue  # comment
                if value[:1] == b" ":
                    value = value[1:]
            if name == b"data":
                has_data = True
            elif name == b"event":
                has_event = True
            elif name == b"id":
                if b"\x00" not in value:
                    self.last_event_id = value.decode("utf-8")
            elif name == b"retry":
                retry = _parse_retry(value)
                if retry is not None:
                    self.retry = retry
        if has_data:
            return frame
        if has_event:  # sseclient-py drops a frame without data: add an empty one
            return frame + b"\ndata"
        return b""  # dispatches nothing; its id/retry are already recorded


class _FrameSSEClient(SSEClient):
    """sseclient-py taking the event source as a sequence of whole frames.

    ``SSEClient.events()`` parses each item its ``_read()`` yields as one
    frame; the stock ``_read()`` re-cuts the byte stream line by line in
    Python, which is the slowest part of the library and the source of its
    framing bugs. Our frames are already cut, so they are handed over as-is.
    """

    def __init__(self, frames: Iterator[bytes]) -> None:
        super().__init__(frames)
        self._frames: Iterator[bytes] = frames
        logger: Any = getattr(self, "_logger", None)
        if logger is not None and not logger.isEnabledFor(logging.DEBUG):
            # events() logs every dispatch; skip even the level check per event.
            self._logger = _SILENT_LOGGER

    def _read(self) -> Iterator[bytes]:
        return self._frames


class _SilentLogger:
    @staticmethod
    def debug(*args: object, **kwargs: object) -> None:
        return None


_SILENT_LOGGER = _SilentLogger()


@functools.cache
def _frame_client_works() -> bool:
    """Whether this sseclient-py still reads frames through ``_read()``.

    Checked once by behaviour rather than by version; if a release stops
    using the hook, the stock client is fed terminated frames instead.
    """
    probe = _FrameSSEClient(iter([b"data: a", b"data: b"]))
    return [event.data for event in probe.events()] == ["a", "b"]


class SSEClientParser:
    """sseclient-py as an incremental parser: body chunks in, :class:`ServerSentEvent` lists out.

    The requests transport's SSE parser. Its events equal
    :class:`fruxon_core.sse.SSEDecoder`'s for every input (a property test
    holds the two together).
    """

    __slots__ = ("_client", "_feed")

    def __init__(self) -> None:
        self._client: _FrameSSEClient | None
        if _frame_client_works():
            self._feed = SSEClientFeed()
            self._client = _FrameSSEClient(iter(()))
        else:
            self._feed = SSEClientFeed(terminate_frames=True)
            self._client = None

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """The events ``chunk`` completed."""
        return self._events(self._feed.feed(chunk))

    def close(self) -> list[ServerSentEvent]:
        """The events of an unterminated last frame, at the end of the body."""
        return self._events(self._feed.close())

    def _events(self, frames: Iterable[bytes]) -> list[ServerSentEvent]:
        if frames == ():
            return []
        client: SSEClient
        if self._client is None:
            client = SSEClient(iter(frames))
        else:
            client = self._client
            client._frames = iter(frames)
        feed = self._feed
        return [
            ServerSentEvent(event.event, event.data, feed.last_event_id, feed.retry)
            for event in client.events()
        ]


def iter_server_sent_events(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Run sseclient-py over the byte chunks, normalised first so its events equal SSEDecoder's.

    The events of a chunk are yielded before the next chunk is pulled, so a
    consumer that stops after a terminal event never waits for more bytes.
    """
    parser = SSEClientParser()
    for chunk in chunks:
        yield from parser.feed(chunk)
    yield from parser.close()


def _repair_utf8(block: bytes) -> bytes:
    """Replace invalid UTF-8 with U+FFFD, as SSEDecoder's lenient decoding does."""
    try:
        block.decode("utf-8")
    except UnicodeDecodeError:
        return block.decode("utf-8", "replace").encode("utf-8")
    return block


def _parse_retry(value: bytes) -> int | None:
    if not value.isdigit():  # bytes.isdigit() accepts ASCII digits only
        return None
    try:
        return int(value)
    except ValueError:  # beyond int()'s 4300-digit limit: ignored, as SSEDecoder does
        return None
