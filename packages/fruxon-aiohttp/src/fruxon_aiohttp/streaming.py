"""``client.stream(...)``: an async iterator of events that is also an async context manager.

The request is sent lazily, on the first ``__anext__`` or on ``async with``;
leaving the ``async with`` block, ``aclose()``, cancelling the task that reads,
or garbage collection closes the connection. The rules are the sync client's:
iteration ends after ``done``; an ``error`` event is yielded and then raises
:class:`~fruxon_core.exceptions.FruxonStreamError`; EOF without a terminal
event raises :class:`~fruxon_core.exceptions.FruxonConnectionError`; no event
for ``Timeout.stream_idle`` seconds (keep-alive comments do not count), or no
byte for ``Timeout.read`` seconds, raises
:class:`~fruxon_core.exceptions.FruxonTimeoutError`.

Every wait for body bytes is bounded by the stream itself (see
:class:`_ReadWatchdog`): when a limit passes, or the connection is found gone
while the body was neither ended nor failed, the waiting read is cancelled and
the cancellation becomes the error -- it never depends on aiohttp waking the
reader.

Body chunks go through core's incremental :class:`~fruxon_core.sse.SSEDecoder`,
which returns every event a chunk completed at once; ``__anext__`` hands them
out one by one and only awaits the socket when the batch is used up.
"""

from __future__ import annotations

import asyncio
import math
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

#: What a body read can raise: aiohttp/socket errors, or an error the watchdog set on the body.
_READ_ERRORS = (FruxonConnectionError, *TRANSPORT_ERRORS)

#: While a read waits, how often the watchdog checks that the connection is still there.
_LIVENESS_CHECK_S = 1.0

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
        self._watchdog: _ReadWatchdog | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    # -- async iterator / async context manager -------------------------------------------

    def __aiter__(self) -> AsyncEventStream:
        return self

    async def __anext__(self) -> StreamEvent:
        # Hot path: an event of the current batch is ready (the batch is emptied
        # at the terminal event, on close and on failure, so this never skips a rule).
        index = self._index
        batch = self._batch
        if index >= len(batch):
            batch = await self._next_after_batch()
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
            self._stop_watchdog()
            response = self._response
            if response is not None and response.body_complete():
                self._release()  # the connection goes back to the pool now
        return event

    async def _next_after_batch(self) -> list[ServerSentEvent]:
        """The batch is used up: stop after a terminal event, else read until events arrive."""
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
        self._batch = batch
        return batch

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
        if self._response is None and self._watchdog is None:
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
        timeout = response.request.timeout
        self._watchdog = _ReadWatchdog(
            timeout.stream_idle, timeout.read, response, progress.runner.context
        )
        if timeout.stream_idle is not None:
            response.use_body_read_timeout()
        return progress

    async def _next_batch(self, progress: StreamProgress) -> list[ServerSentEvent]:
        """The events completed by the next body chunk; raises at EOF without a terminal."""
        if self._eof:
            progress.end_of_stream()
            raise AssertionError("unreachable: end_of_stream() raises without a terminal event")
        response = self._response
        watchdog = self._watchdog
        assert response is not None
        assert watchdog is not None
        watchdog.start_wait()
        try:
            chunk = await response.content.readany()
        except asyncio.CancelledError:
            error = watchdog.claim_cancellation()
            if error is None:
                raise  # cancelled by the caller: not ours to turn into an error
            raise progress.broken(error) from error.__cause__
        except (*_READ_ERRORS, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and response.is_connected():
                raise  # not a lost connection: a usage error such as two concurrent readers
            # (aiohttp raises RuntimeError("Connection closed.") for a read begun on a
            # connection that is gone without the body having been ended or failed)
            error = watchdog.translate(exc)
            raise progress.broken(error) from error.__cause__
        finally:
            watchdog.end_wait()
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
        self._stop_watchdog()
        response, self._response = self._response, None
        if response is not None:
            response.release()

    def _close(self) -> None:
        self._batch = []
        watchdog = self._watchdog
        if watchdog is not None and watchdog.waiting:  # a read in another task must not outlive us
            watchdog.fail(FruxonConnectionError("the stream was closed while a read was waiting"))
        self._stop_watchdog()
        response, self._response = self._response, None
        if response is not None:
            response.close()

    def _stop_watchdog(self) -> None:
        watchdog, self._watchdog = self._watchdog, None
        if watchdog is not None:
            watchdog.cancel()


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class _ReadWatchdog:
    """Bounds every wait for body bytes, whatever aiohttp does or fails to do.

    Two limits count only while a read waits, so a slow consumer is never
    mistaken for a silent server: ``stream_idle`` since the first wait after
    the last dispatched event (``: ping`` comments and partial frames do not
    reset it) and ``read`` since the current wait began. While a read waits,
    the connection is also looked at every ``_LIVENESS_CHECK_S``: gone, with
    the body neither ended nor failed, is a :class:`FruxonConnectionError`.

    When one of these happens the timer *cancels the waiting task*, and the
    read turns that cancellation into the error (:meth:`claim_cancellation`).
    Waking the reader through aiohttp is not enough: its ``sock_read`` timer
    is dropped while reading is paused, on EOF and when the connection is
    closed, and a connection closed under a pending read (``session.close()``,
    the pool) leaves the body waiting forever. One timer handle, re-armed
    lazily, keeps the per-chunk cost to a few attribute writes.
    """

    __slots__ = (
        "_cancelling",
        "_context",
        "_failure",
        "_handle",
        "_loop",
        "_response",
        "_seen",
        "_since",
        "_task",
        "_wait_start",
        "idle",
        "read",
        "waiting",
    )

    def __init__(
        self,
        idle: float | None,
        read: float | None,
        response: StreamingResponse,
        context: CallContext,
    ) -> None:
        self.idle = idle
        self.read = read
        self._response = response
        self._context = context
        self._loop = response.loop
        self._seen = -1
        self._since = self._wait_start = self._loop.time()
        self._handle: asyncio.TimerHandle | None = None
        self._task: asyncio.Task[Any] | None = None
        self._failure: FruxonConnectionError | None = None
        self._cancelling = 0
        self.waiting = False

    def start_wait(self) -> None:
        """A read of the current task is about to wait for body bytes."""
        if self.waiting:
            raise RuntimeError("another coroutine is already reading this stream")
        loop = self._loop
        now = loop.time()
        events = self._context.events_received
        if events != self._seen:
            self._seen = events
            self._since = now
        self._wait_start = now
        self._task = asyncio.current_task(loop)
        self.waiting = True
        if self._handle is None:
            self._handle = loop.call_at(min(self._deadline(), now + _LIVENESS_CHECK_S), self._fire)

    def end_wait(self) -> None:
        self.waiting = False
        self._task = None

    def _deadline(self) -> float:
        idle, read = self.idle, self.read
        at = math.inf if idle is None else self._since + idle
        return at if read is None else min(at, self._wait_start + read)

    def _fire(self) -> None:
        self._handle = None
        if not self.waiting:
            return  # the consumer is busy with events; its next read re-arms
        loop = self._loop
        now = loop.time()
        response = self._response
        content = response.content
        failed = content.exception()
        if failed is None and not content.is_eof() and not response.is_connected():
            # gone without aiohttp ending or failing the body: nothing will wake the read
            self.fail(
                FruxonConnectionError("the connection was lost while waiting for stream data")
            )
            return
        deadline = self._deadline()
        if deadline - now > 0.001:
            self._handle = loop.call_at(min(deadline, now + _LIVENESS_CHECK_S), self._fire)
        elif failed is not None:  # aiohttp failed the body, but the read has not run yet
            self.fail(self.translate(failed))
        elif self.idle is not None and self._since + self.idle <= deadline:
            self.fail(self.idle_error())
        else:
            self.fail(
                FruxonTimeoutError(
                    f"timed out waiting for the server: no data for {self.read:g}s (read timeout)"
                )
            )

    def fail(self, error: FruxonConnectionError) -> None:
        """Make the waiting read raise ``error``; nothing happens when no read waits."""
        if not self.waiting or self._failure is not None:
            return
        self._failure = error
        task = self._task
        if task is not None:
            cancelling = getattr(task, "cancelling", None)  # Python 3.11+
            self._cancelling = cancelling() if cancelling is not None else 0
            task.cancel()
        else:  # a read not driven by a task (a coroutine stepped by hand): wake it via aiohttp
            self._response.content.set_exception(error)

    def claim_cancellation(self) -> FruxonConnectionError | None:
        """The error :meth:`fail` decided on for the failed read, or ``None`` if it did not.

        Takes back the cancellation :meth:`fail` requested (``Task.uncancel``,
        Python 3.11+, as ``asyncio.timeout`` does), so the task's cancel scopes
        are undisturbed; if the task was also cancelled from outside meanwhile,
        returns ``None``: that cancellation wins. (Python 3.10 cannot tell the
        two apart; there the read's error wins.)
        """
        error, self._failure = self._failure, None
        task = self._task
        if error is None or task is None:
            return error
        uncancel = getattr(task, "uncancel", None)
        if uncancel is not None and uncancel() > self._cancelling:
            return None
        return error

    def idle_error(self) -> FruxonTimeoutError:
        return FruxonTimeoutError(f"no stream event for {self.idle:g}s (stream idle timeout)")

    def translate(self, exc: BaseException) -> FruxonConnectionError:
        """The SDK error for what a read raised, with the cause chained.

        aiohttp's socket-read timeout, bounded by the idle limit, is an idle
        timeout, and says so.
        """
        error = map_transport_error(exc)
        if error is exc:
            return error
        idle, read = self.idle, self.read
        if (
            isinstance(error, FruxonTimeoutError)
            and idle is not None
            and (read is None or idle <= read)
        ):
            error = self.idle_error()
        error.__cause__ = exc
        return error

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
