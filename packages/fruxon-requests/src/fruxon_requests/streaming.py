"""``client.stream(...)``: an iterator of events that is also a context manager.

The request is sent lazily, on the first ``next()`` or on ``with``; breaking out
of the loop, leaving the ``with`` block, or garbage collection closes the
connection. Iteration ends after ``done``; an ``error`` event is yielded and
then raises :class:`~fruxon_core.exceptions.FruxonStreamError`; EOF without a
terminal event raises :class:`~fruxon_core.exceptions.FruxonConnectionError`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Generator, Iterator
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


class _StreamState:
    """What an :class:`EventStream` and its event generator share.

    The generator holds this, never the EventStream, so no reference cycle
    keeps a stream alive: a ``for`` loop that breaks drops the generator, whose
    ``finally`` closes the connection at once (CPython refcounting), not at
    the next garbage collection.
    """

    __slots__ = ("closed", "open_stream", "progress", "response")

    def __init__(self, open_stream: OpenStream) -> None:
        self.open_stream = open_stream
        self.response: StreamingResponse | None = None
        self.progress: StreamProgress | None = None
        self.closed = False

    def start(self) -> tuple[StreamingResponse, StreamProgress]:
        if self.response is None or self.progress is None:
            self.response, self.progress = self.open_stream()
        return self.response, self.progress

    def release(self) -> None:
        self.closed = True
        response, self.response = self.response, None
        if response is not None:
            response.close()


class EventStream(Iterator[StreamEvent]):
    """The events of one streamed run."""

    def __init__(self, runner: CallRunner[Any], open_stream: OpenStream) -> None:
        self._runner = runner
        self._state = _StreamState(open_stream)
        self._events: Generator[StreamEvent, None, None] | None = None

    # -- iterator / context manager -------------------------------------------------------

    def __iter__(self) -> Iterator[StreamEvent]:
        # The generator itself, so a ``for`` loop pays no Python-level __next__
        # per event. It shares this stream's state, so mixing both is fine.
        return self._event_generator()

    def __next__(self) -> StreamEvent:
        return next(self._event_generator())

    def _event_generator(self) -> Generator[StreamEvent, None, None]:
        if self._events is None:
            state = self._state
            self._events = _no_events() if state.closed else _iterate(state)
        return self._events

    def __enter__(self) -> EventStream:
        if self._events is None and not self._state.closed:
            self._state.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __del__(self) -> None:
        # A running generator closes the connection itself when it is dropped
        # (it may outlive this object inside a ``for`` loop); without one, a
        # stream opened by ``with`` or never iterated is released here.
        if self._events is None:
            self._state.release()

    def close(self) -> None:
        """Close the connection; safe to call more than once."""
        if self._events is not None:
            self._events.close()
        self._state.release()

    # -- results ------------------------------------------------------------------------

    @property
    def final_result(self) -> ExecutionResult | None:
        """The run's result once ``done`` arrived, else ``None``."""
        progress = self._state.progress
        if progress is None or progress.collector.done is None:
            return None
        return progress.result()

    def collect(self) -> ExecutionResult:
        """Consume the rest of the stream and return the :class:`ExecutionResult`."""
        for _ in self:
            pass
        result = self.final_result
        if result is None:  # only after close() before ``done``: iteration raises otherwise
            raise FruxonConnectionError("the stream was closed before its terminal event")
        return result

    def text(self) -> TextStream:
        """Only the text chunks, as strings."""
        return TextStream(self)


def _iterate(state: _StreamState) -> Generator[StreamEvent, None, None]:
    """The events of the stream: decode, observe, stop after the terminal event."""
    response, progress = state.start()
    timeout = response.request.timeout
    idle = _IdleDeadline(timeout.stream_idle, timeout.read)
    accept, after_yield = progress.accept, progress.after_yield
    monotonic = time.monotonic
    try:
        try:
            chunks = response.iter_chunks(idle.next_read_timeout)
            for sse in iter_server_sent_events(chunks):
                event = accept(sse)
                yield event
                idle.last_event = monotonic()
                after_yield(event)
                if progress.terminal is not None:
                    return
        except FruxonConnectionError as error:  # raised by the transport: mid-stream
            cause = error.__cause__
            if isinstance(error, FruxonTimeoutError) and idle.expired():
                error = idle.error()
            raise progress.broken(error) from cause
        progress.end_of_stream()
    finally:
        state.release()


def _no_events() -> Generator[StreamEvent, None, None]:
    yield from ()


class _IdleDeadline:
    """The stream-idle timeout, measured from the last event handed to the caller.

    Only dispatched events move :attr:`last_event`; keep-alive comments and other
    bytes that complete no event do not, so a server that pings forever while
    producing nothing still times out. Before each read the socket timeout is
    set to what is left of the deadline (or the read timeout, if shorter).
    """

    __slots__ = ("last_event", "limit", "nominal", "read", "slack")

    def __init__(self, limit: float | None, read: float | None) -> None:
        self.limit = limit
        self.read = read
        # The socket timeout while events flow (as the transport first sets it)
        # and how stale the last event may get before it is worth lowering.
        self.nominal = limit if read is None or (limit is not None and limit < read) else read
        self.slack = 0.0 if limit is None else 0.01 * limit
        self.last_event = time.monotonic()

    def expired(self) -> bool:
        limit = self.limit
        return limit is not None and time.monotonic() - self.last_event >= limit - 0.001

    def error(self) -> FruxonTimeoutError:
        return FruxonTimeoutError(f"no stream event for {self.limit:g}s (stream idle timeout)")

    def next_read_timeout(self) -> float | None:
        """The socket timeout for the next read; raises once the deadline has passed."""
        limit = self.limit
        if limit is None:
            return self.read
        elapsed = time.monotonic() - self.last_event
        if elapsed < self.slack:
            return self.nominal
        remaining = limit - elapsed
        if remaining <= 0.001:
            raise self.error()
        read = self.read
        return remaining if read is None or remaining < read else read


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

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._events.close()

    def close(self) -> None:
        self._events.close()

    @property
    def final_result(self) -> ExecutionResult | None:
        return self._events.final_result
