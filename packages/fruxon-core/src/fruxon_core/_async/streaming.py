"""``client.stream(...)``: the events of one run, as an async iterator and async context manager.

The request is sent lazily, on the first ``__anext__`` or on ``async with``.
Leaving the ``async with`` block, ``aclose()``, breaking out of the loop and
garbage collection close the connection. Iteration ends after ``done``; an
``error`` event is handed out and then raises
:class:`~fruxon_core.exceptions.FruxonStreamError`; the body ending without a
terminal event raises :class:`~fruxon_core.exceptions.FruxonConnectionError`;
no event for ``Timeout.stream_idle`` seconds (keep-alive comments do not
count), no byte for ``Timeout.read`` seconds, or the call's ``Timeout.total``
running out (it bounds the whole stream, up to the terminal event) raises
:class:`~fruxon_core.exceptions.FruxonTimeoutError`. A 2xx answer that is not
``text/event-stream`` raises :class:`~fruxon_core.exceptions.UnexpectedResponseError`
with the server's status and message. Opening the stream is retried like any
call (until the response head arrives); a stream that broke after its head is
never replayed.

The transport hands over every event a body chunk completed at once
(:meth:`AsyncStreamResponse.read_events`); ``__anext__`` gives them out one by
one and only reads again when the batch is used up.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from types import TracebackType
from typing import Any

from fruxon_core._async.transport import AsyncStreamResponse, AsyncTransport
from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import FruxonConnectionError, FruxonError, FruxonTimeoutError
from fruxon_core.http import IdleClock
from fruxon_core.models import ExecutionResult
from fruxon_core.pipeline import CallRunner, StreamProgress, is_event_stream
from fruxon_core.sse import ServerSentEvent

__all__ = ["AsyncEventStream", "AsyncTextStream"]

_monotonic = time.monotonic


class AsyncEventStream(AsyncIterator[StreamEvent]):
    """The events of one streamed run."""

    __slots__ = (
        "__weakref__",
        "_batch",
        "_clock",
        "_finished",
        "_index",
        "_progress",
        "_response",
        "_runner",
        "_transport",
    )

    def __init__(self, runner: CallRunner[Any], transport: AsyncTransport) -> None:
        self._runner = runner
        self._transport = transport
        self._response: AsyncStreamResponse | None = None
        self._progress: StreamProgress | None = None
        self._clock: IdleClock | None = None
        self._batch: list[ServerSentEvent] = []
        self._index = 0
        self._finished = False

    # -- async iterator / async context manager -------------------------------------------

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> StreamEvent:
        # Hot path: an event of the current batch is ready (the batch is emptied
        # at the terminal event, on close and on failure, so this never skips a rule).
        index = self._index
        batch = self._batch
        if index >= len(batch):
            batch = await self._next_batch()
            index = 0
        self._index = index + 1
        progress = self._progress
        assert progress is not None
        try:
            event = progress.accept(batch[index])
        except BaseException:
            self._fail()
            raise
        if progress.terminal is not None:
            self._batch = []  # nothing after a terminal event is handed out
            response, self._response = self._response, None
            if response is not None:
                await response.finish()  # the connection goes back to the pool if it can
        return event

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
        self._fail()

    def __del__(self) -> None:
        response = self._response
        if response is not None:
            self._response = None
            response.close()

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
        """Open the stream, retrying like any call until a 2xx head arrives."""
        runner, transport = self._runner, self._transport
        try:
            transport.check_usable()
            while True:
                request = await runner.prepare_async()
                try:
                    response = await transport.open_stream(request, runner.remaining())
                    try:
                        ok = 200 <= response.status < 300 and is_event_stream(response.headers)
                        runner.check_status(response.head() if ok else await response.read_all())
                    except BaseException:
                        response.close()
                        raise
                    break
                except FruxonError as error:
                    await transport.sleep(runner.retry_delay(error))
        except BaseException:
            self._finished = True
            raise
        progress = StreamProgress(runner)
        self._response, self._progress = response, progress
        self._clock = IdleClock(request.timeout, _monotonic(), runner.context.deadline)
        return progress

    async def _next_batch(self) -> list[ServerSentEvent]:
        """The batch is used up: end after a terminal event, else read until events arrive."""
        progress = self._progress
        if progress is None:
            if self._finished:
                raise StopAsyncIteration
            progress = await self._start()
        elif progress.terminal is not None or self._finished:
            self._stop(progress)
        response, clock = self._response, self._clock
        assert response is not None
        assert clock is not None
        context = progress.runner.context
        try:
            while True:
                timeout = clock.read_timeout(_monotonic(), context.events_received)
                try:
                    batch = await response.read_events(timeout)
                except FruxonTimeoutError as timed_out:  # which limit was it?
                    error = clock.timeout_error(_monotonic())
                    raise error from timed_out.__cause__
                if batch:
                    self._batch = batch
                    return batch
                if batch is None:
                    break
        except FruxonConnectionError as error:  # broken mid-stream: never replayed
            self._fail()
            raise progress.broken(error) from error.__cause__
        except BaseException:
            self._fail()
            raise
        self._fail()
        progress.end_of_stream()  # raises when the body ended before the terminal event it owes
        raise StopAsyncIteration

    def _stop(self, progress: StreamProgress) -> None:
        """After the terminal event (or a close): release the connection, then end."""
        terminal, finished = progress.terminal, self._finished
        self._fail()
        if terminal is not None and not finished:
            progress.after_yield(terminal)  # raises after an ``error`` event
        raise StopAsyncIteration

    def _fail(self) -> None:
        self._finished = True
        self._batch = []
        response, self._response = self._response, None
        if response is not None:
            response.close()


class AsyncTextStream(AsyncIterator[str]):
    """``client.stream_text(...)``: the text chunks of a stream; raises like the stream does."""

    __slots__ = ("_events",)

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
