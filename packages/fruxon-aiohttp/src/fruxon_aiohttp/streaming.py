"""``client.stream(...)``: an async iterator of events that is also an async context manager.

The request is sent lazily, on the first ``__anext__`` or on ``async with``;
leaving the ``async with`` block, ``aclose()``, cancelling the task that reads,
or garbage collection closes the connection. The rules are the sync client's:
iteration ends after ``done``; an ``error`` event is yielded and then raises
:class:`~fruxon_core.exceptions.FruxonStreamError`; EOF without a terminal
event raises :class:`~fruxon_core.exceptions.FruxonConnectionError`; no event
for ``Timeout.stream_idle`` seconds (keep-alive comments do not count) raises
:class:`~fruxon_core.exceptions.FruxonTimeoutError`.

Body chunks go through core's incremental :class:`~fruxon_core.sse.SSEDecoder`,
which returns every event a chunk completed at once; ``__anext__`` hands them
out one by one and only awaits the socket when the batch is used up.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import Any

from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.models import ExecutionResult
from fruxon_core.pipeline import CallContext, CallRunner, StreamProgress
from fruxon_core.sse import ServerSentEvent, SSEDecoder

from .transport import TRANSPORT_ERRORS, StreamingResponse, map_transport_error

__all__ = ["AsyncEventStream", "AsyncTextStream"]

#: What a body read can raise: aiohttp/socket errors, or the idle timer's FruxonTimeoutError.
_READ_ERRORS = (FruxonConnectionError, *TRANSPORT_ERRORS)

OpenStream = Callable[[], Awaitable[tuple[StreamingResponse, StreamProgress]]]


class AsyncEventStream(AsyncIterator[StreamEvent]):
    """The events of one streamed run."""

    def __init__(self, runner: CallRunner[Any], open_stream: OpenStream) -> None:
        self._runner = runner
        self._open_stream = open_stream
        self._response: StreamingResponse | None = None
        self._progress: StreamProgress | None = None
        self._decoder = SSEDecoder()
        self._batch: list[ServerSentEvent] = []
        self._index = 0
        self._eof = False
        self._finished = False
        self._idle: _IdleTimer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- async iterator / async context manager -------------------------------------------

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> StreamEvent:
        # Hot path: an event of the current batch is ready (the batch is emptied
        # at the terminal event, on close and on failure, so this never skips a rule).
        index = self._index
        batch = self._batch
        if index < len(batch):
            self._index = index + 1
            return self._accept(batch[index])
        return await self._next_after_batch()

    def _accept(self, sse: ServerSentEvent) -> StreamEvent:
        progress = self._progress
        assert progress is not None
        try:
            event = progress.accept(sse)
        except BaseException:
            self._fail()
            raise
        if progress.terminal is not None:
            self._batch = []  # nothing after a terminal event is handed out
            self._stop_idle_timer()
            response = self._response
            if response is not None and response.body_complete():
                self._release()  # the connection goes back to the pool now
        return event

    async def _next_after_batch(self) -> StreamEvent:
        """The batch is used up: stop after a terminal event, else read the next chunk."""
        progress = self._progress
        if progress is None:
            if self._finished:
                raise StopAsyncIteration
            progress = await self._start()
        elif progress.terminal is not None or self._finished:
            await self._stop(progress)
        try:
            batch = await self._next_batch(progress)
            while not batch:  # a chunk that completed no event (partial frame, comment)
                batch = await self._next_batch(progress)
        except BaseException:
            self._fail()
            raise
        self._batch, self._index = batch, 1
        return self._accept(batch[0])

    async def _stop(self, progress: StreamProgress) -> None:
        """After the terminal event (or a close): release the connection, then end."""
        try:
            if not self._finished:
                await self._await_end_of_body()
        finally:
            self._close()
        terminal, finished = progress.terminal, self._finished
        self._finished = True
        if terminal is not None and not finished:
            progress.after_yield(terminal)  # raises after an ``error`` event
        raise StopAsyncIteration

    def _fail(self) -> None:
        self._finished = True
        self._close()

    async def __aenter__(self) -> AsyncEventStream:
        if self._progress is None and not self._finished:
            await self._start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection; safe to call more than once."""
        self._finished = True
        self._close()

    def __del__(self) -> None:
        if self._response is None and self._idle is None:
            return
        loop = self._loop
        try:
            if loop is None or loop.is_closed() or _running_loop() is loop:
                self._close()
            else:
                loop.call_soon_threadsafe(self._close)
        except Exception:  # pragma: no cover - interpreter shutdown
            pass

    # -- results ------------------------------------------------------------------------

    @property
    def final_result(self) -> ExecutionResult | None:
        """The run's result once ``done`` arrived, else ``None``."""
        progress = self._progress
        if progress is None or progress.collector.done is None:
            return None
        return progress.result()

    async def collect(self) -> ExecutionResult:
        """Consume the rest of the stream and return the :class:`ExecutionResult`."""
        async for _ in self:
            pass
        result = self.final_result
        if result is None:  # only after aclose() before ``done``: iteration raises otherwise
            raise FruxonConnectionError("the stream was closed before its terminal event")
        return result

    def text(self) -> AsyncTextStream:
        """Only the text chunks, as strings."""
        return AsyncTextStream(self)

    # -- the work -----------------------------------------------------------------------

    async def _start(self) -> StreamProgress:
        try:
            response, progress = await self._open_stream()
        except BaseException:
            self._finished = True
            raise
        self._response, self._progress = response, progress
        self._loop = response.loop
        limit = response.request.timeout.stream_idle
        if limit is not None:
            self._idle = _IdleTimer(limit, response, progress.runner.context)
            response.use_body_read_timeout()
        return progress

    async def _next_batch(self, progress: StreamProgress) -> list[ServerSentEvent]:
        """The events completed by the next body chunk; raises at EOF without a terminal."""
        if self._eof:
            progress.end_of_stream()
            raise AssertionError("unreachable: end_of_stream() raises without a terminal event")
        response = self._response
        assert response is not None
        idle = self._idle
        if idle is not None:
            idle.start_wait()
        try:
            chunk = await response.content.readany()
        except _READ_ERRORS as exc:
            error = map_transport_error(exc)
            if idle is not None and isinstance(error, FruxonTimeoutError) and error is not exc:
                error = idle.explain(error, response.request.timeout.read)
            raise progress.broken(error) from (None if error is exc else exc)
        finally:
            if idle is not None:
                idle.waiting = False
        if chunk:
            return self._decoder.feed(chunk)
        self._eof = True
        return self._decoder.close()

    async def _await_end_of_body(self) -> None:
        """After the terminal event, give the end of the body a moment to arrive.

        The server sends it right after ``done``; if it is already in the
        socket buffer, two turns of the loop read it and aiohttp pools the
        connection for the next request. Otherwise the connection is closed.
        """
        response = self._response
        for _ in range(2):
            if response is None or response.body_complete():
                return
            await asyncio.sleep(0)

    def _release(self) -> None:
        self._stop_idle_timer()
        response, self._response = self._response, None
        if response is not None:
            response.release()

    def _close(self) -> None:
        self._batch = []
        self._stop_idle_timer()
        response, self._response = self._response, None
        if response is not None:
            response.close()

    def _stop_idle_timer(self) -> None:
        idle, self._idle = self._idle, None
        if idle is not None:
            idle.cancel()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _IdleTimer:
    """Fails the pending body read when no event was dispatched for ``limit`` seconds.

    Only time spent waiting for the socket counts: the clock restarts when a
    read begins after new events were handed out, so a slow consumer is never
    mistaken for a silent server, and ``: ping`` comments (which dispatch no
    event) do not reset it. One timer handle per idle period, re-armed lazily,
    keeps the per-chunk cost to two attribute writes.
    """

    __slots__ = ("_context", "_handle", "_loop", "_response", "_seen", "_since", "limit", "waiting")

    def __init__(self, limit: float, response: StreamingResponse, context: CallContext) -> None:
        self.limit = limit
        self._response = response
        self._context = context
        self._loop = response.loop
        self._seen = -1
        self._since = self._loop.time()
        self._handle: asyncio.TimerHandle | None = None
        self.waiting = False

    def start_wait(self) -> None:
        events = self._context.events_received
        if events != self._seen:
            self._seen = events
            self._since = self._loop.time()
        self.waiting = True
        if self._handle is None:
            self._handle = self._loop.call_at(self._since + self.limit, self._fire)

    def error(self) -> FruxonTimeoutError:
        return FruxonTimeoutError(f"no stream event for {self.limit:g}s (stream idle timeout)")

    def explain(self, error: FruxonTimeoutError, read: float | None) -> FruxonTimeoutError:
        """A socket-read timeout bounded by the idle limit is an idle timeout: say so."""
        return self.error() if read is None or self.limit <= read else error

    def _fire(self) -> None:
        self._handle = None
        deadline = self._since + self.limit
        if deadline - self._loop.time() > 0.001:  # an event arrived meanwhile
            self._handle = self._loop.call_at(deadline, self._fire)
        elif self.waiting:
            self._response.content.set_exception(self.error())
        # else: the consumer is busy with an event; the next read restarts the clock

    def cancel(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()


class AsyncTextStream(AsyncIterator[str]):
    """``client.stream_text(...)``: the text chunks of a stream; raises like the stream does."""

    def __init__(self, events: AsyncEventStream) -> None:
        self._events = events

    def __aiter__(self) -> AsyncTextStream:
        return self

    async def __anext__(self) -> str:
        events = self._events
        while True:
            event = await events.__anext__()
            if event.event == "text":
                chunk = event.data.get("chunk")
                if isinstance(chunk, str):
                    return chunk

    async def __aenter__(self) -> AsyncTextStream:
        await self._events.__aenter__()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._events.aclose()

    async def aclose(self) -> None:
        await self._events.aclose()

    @property
    def final_result(self) -> ExecutionResult | None:
        return self._events.final_result
