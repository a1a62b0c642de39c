"""``client.stream(...)``: an iterator of events that is also a context manager.

The request is sent lazily, on the first ``next()`` or on ``with``; breaking out
of the loop, leaving the ``with`` block, or garbage collection closes the
connection. Iteration ends after ``done``; an ``error`` event is yielded and
then raises :class:`~fruxon_core.exceptions.FruxonStreamError`; EOF without a
terminal event raises :class:`~fruxon_core.exceptions.FruxonConnectionError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import Any

from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.models import ExecutionResult
from fruxon_core.pipeline import CallRunner, StreamProgress

from .sse_feed import iter_server_sent_events
from .transport import StreamingResponse

__all__ = ["EventStream", "TextStream"]

OpenStream = Callable[[], tuple[StreamingResponse, StreamProgress]]


class EventStream(Iterator[StreamEvent]):
    """The events of one streamed run."""

    def __init__(self, runner: CallRunner[Any], open_stream: OpenStream) -> None:
        self._runner = runner
        self._open_stream = open_stream
        self._response: StreamingResponse | None = None
        self._progress: StreamProgress | None = None
        self._events: Iterator[StreamEvent] | None = None
        self._closed = False

    # -- iterator / context manager -------------------------------------------------------

    def __iter__(self) -> EventStream:
        return self

    def __next__(self) -> StreamEvent:
        if self._events is None:
            if self._closed:
                raise StopIteration
            self._events = self._iterate()
        return next(self._events)

    def __enter__(self) -> EventStream:
        if self._events is None and not self._closed:
            self._events = self._iterate()
            self._start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; safe to call more than once."""
        self._closed = True
        if self._events is not None:
            self._events.close()
        if self._response is not None:
            self._response.close()
            self._response = None

    # -- results ------------------------------------------------------------------------

    @property
    def final_result(self) -> ExecutionResult | None:
        """The run's result once ``done`` arrived, else ``None``."""
        progress = self._progress
        if progress is None or progress.collector.done is None:
            return None
        return progress.result()

    def collect(self) -> ExecutionResult:
        """Consume the rest of the stream and return the :class:`ExecutionResult`."""
        for _ in self:
            pass
        result = self.final_result
        if result is None:  # pragma: no cover - iteration raises before this
            raise FruxonConnectionError("stream ended without a terminal event")
        return result

    def text(self) -> TextStream:
        """Only the text chunks, as strings."""
        return TextStream(self)

    # -- the work -----------------------------------------------------------------------

    def _start(self) -> None:
        if self._response is None:
            self._response, self._progress = self._open_stream()

    def _iterate(self) -> Iterator[StreamEvent]:
        self._start()
        assert self._response is not None and self._progress is not None
        progress = self._progress
        try:
            for sse in iter_server_sent_events(self._chunks(self._response, progress)):
                event = progress.accept(sse)
                yield event
                progress.after_yield(event)
                if progress.finished:
                    return
            progress.end_of_stream()
        finally:
            self._closed = True
            if self._response is not None:
                self._response.close()
                self._response = None

    def _chunks(self, response: StreamingResponse, progress: StreamProgress) -> Iterator[bytes]:
        """Body chunks, with the idle clock watching the gaps between events."""
        clock = _IdleClock(response.request.timeout.stream_idle, progress)
        try:
            for chunk in response.iter_chunks():
                clock.check()
                yield chunk
        except FruxonConnectionError as error:
            raise progress.broken(error) from error.__cause__


class _IdleClock:
    """Raises when no event was dispatched for ``limit`` seconds, keep-alives notwithstanding.

    A fully silent socket is caught by the read timeout (set to at most the idle
    limit); a server that keeps sending ``: ping`` comments is caught here.
    """

    def __init__(self, limit: float | None, progress: StreamProgress) -> None:
        self.limit = limit
        self.progress = progress
        self.seen = -1
        self.last_event = time.monotonic()

    def check(self) -> None:
        now = time.monotonic()
        events = self.progress.runner.context.events_received
        if events != self.seen:
            self.seen, self.last_event = events, now
        elif self.limit is not None and now - self.last_event > self.limit:
            raise FruxonTimeoutError(f"no stream event for {self.limit:g}s (stream idle timeout)")


class TextStream(Iterator[str]):
    """``client.stream_text(...)``: the text chunks of a stream; raises like the stream does."""

    def __init__(self, events: EventStream) -> None:
        self._events = events

    def __iter__(self) -> TextStream:
        return self

    def __next__(self) -> str:
        for event in self._events:
            if event.event == "text":
                chunk = event.data.get("chunk")
                if isinstance(chunk, str):
                    return chunk
        raise StopIteration

    def __enter__(self) -> TextStream:
        self._events.__enter__()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._events.close()

    def close(self) -> None:
        self._events.close()

    @property
    def final_result(self) -> ExecutionResult | None:
        return self._events.final_result
