"""Writing SSE frames to the socket as they are produced, with stream faults.

A frame is written as soon as the script produces it: frames that follow each
other without pacing go out together in one `write()` (up to 16 KiB), and every
frame is flushed before a pause, so clients see real incremental delivery
while unpaced benchmark streams are not limited by one syscall per event. Faults are
applied between events: `drop_after`, `error_after`, `stall_after` (with
`keepalive_ms` pings), `malformed_after`; `framing=close` and `final_blank=0`
change the byte framing of the whole stream.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from aiohttp import web

from .events import SseEvent, error_event
from .faults import FaultPlan
from .replies import encode_json
from .stats import EmulatorStats

__all__ = ["MALFORMED_FRAME", "PING_FRAME", "EventStream", "StreamOutcome", "encode_frame"]

PING_FRAME = b": ping\n\n"
MALFORMED_FRAME = b'event: text\ndata: {"chunk": \n\n'
_FLUSH_WAIT_S = 2.0
_STALL_CHECK_MS = 50
_WRITE_BYTES = 16 * 1024  # unpaced frames are written (and the loop yielded to) per this many bytes

Terminal = SseEvent | Callable[[], SseEvent]
"""The last event, or what produces it once every other event went out."""


def encode_frame(name: str, data: Mapping[str, Any], *, final_blank: bool = True) -> bytes:
    """`event: <name>\\ndata: <one-line JSON>\\n\\n` (the blank line optional)."""
    frame = b"event: " + name.encode() + b"\ndata: " + encode_json(data) + b"\n"
    return frame + b"\n" if final_blank else frame


def _then(events: Iterable[SseEvent], terminal: Terminal) -> Iterator[tuple[SseEvent, bool]]:
    """Each event with False, then the terminal one with True."""
    for event in events:
        yield event, False
    yield (terminal if isinstance(terminal, SseEvent) else terminal()), True


class StreamOutcome(enum.Enum):
    COMPLETED = "completed"
    FAILED = "failed"  # an injected `error` event ended it
    DROPPED = "dropped"  # an injected abort ended it
    CLIENT_GONE = "client_gone"


class _CloseDelimitedResponse(web.StreamResponse):
    """framing=close: no Content-Length, no chunking; the close ends the body."""

    _length_check = False


class EventStream:
    def __init__(self, request: web.BaseRequest, plan: FaultPlan, stats: EmulatorStats) -> None:
        self.request = request
        self.plan = plan
        self.stats = stats
        self.response = self._new_response()

    def _new_response(self) -> web.StreamResponse:
        close = self.plan.framing == "close"
        response = _CloseDelimitedResponse() if close else web.StreamResponse()
        response.content_type = "text/event-stream"
        response.headers["Cache-Control"] = "no-cache"
        response.headers["X-Accel-Buffering"] = "no"
        if close:
            response.headers["Connection"] = "close"
            response.force_close()
        return response

    async def deliver(self, events: Iterable[SseEvent], terminal: Terminal) -> StreamOutcome:
        """Send every event, then the terminal one, unless a fault intervenes.

        A callable terminal is called only when it is due, so it can settle
        the run (and decide between `done` and a cancellation) at that moment.
        """
        await self.response.prepare(self.request)
        self.stats.streams_open += 1
        self.stats.streams_started += 1
        try:
            outcome = await self._pump(events, terminal)
        except ConnectionError:
            outcome = StreamOutcome.CLIENT_GONE
        except asyncio.CancelledError:
            self.stats.client_disconnects += 1
            raise
        finally:
            self.stats.streams_open -= 1
        if outcome is StreamOutcome.CLIENT_GONE:
            self.stats.client_disconnects += 1
        elif outcome is StreamOutcome.COMPLETED:
            self.stats.streams_completed += 1
        return outcome

    async def _pump(self, events: Iterable[SseEvent], terminal: Terminal) -> StreamOutcome:
        plan = self.plan
        faults_at = {plan.drop_after, plan.error_after, plan.stall_after, plan.malformed_after}
        final_blank = plan.final_blank
        write = self.response.write
        batch = bytearray()
        for sent, (event, last) in enumerate(_then(events, terminal)):
            due = sent in faults_at
            delay_ms = event.delay_ms
            if batch and (delay_ms or due or len(batch) >= _WRITE_BYTES):
                await write(bytes(batch))
                batch.clear()
                await asyncio.sleep(0)  # unpaced streams must not starve other requests
            if due:
                interrupted = await self._inject_before(sent)
                if interrupted is not None:
                    return interrupted
            if delay_ms:
                await asyncio.sleep(delay_ms / 1000)
            batch += encode_frame(event.name, event.data, final_blank=final_blank or not last)
        if batch:
            await write(bytes(batch))
        await self.response.write_eof()
        return StreamOutcome.COMPLETED

    async def _inject_before(self, sent: int) -> StreamOutcome | None:
        plan = self.plan
        if plan.drop_after == sent:
            self.stats.faults_injected += 1
            await self._abort_connection()
            return StreamOutcome.DROPPED
        if plan.error_after == sent:
            self.stats.faults_injected += 1
            error = error_event(f"Injected fault after {sent} events.", "emulator_fault")
            await self.response.write(
                encode_frame(error.name, error.data, final_blank=plan.final_blank)
            )
            await self.response.write_eof()
            return StreamOutcome.FAILED
        if plan.stall_after == sent:
            self.stats.faults_injected += 1
            await self._stall(plan.stall_ms, plan.keepalive_ms)
        if plan.malformed_after == sent:
            self.stats.faults_injected += 1
            await self.response.write(MALFORMED_FRAME)
        return None

    async def _stall(self, total_ms: int, keepalive_ms: int | None) -> None:
        """Go quiet for `total_ms`, sending `: ping` every `keepalive_ms`.

        A client that hangs up meanwhile ends the stream at once (checked every
        `_STALL_CHECK_MS`) rather than when the stall is over, so the stream
        counters are right while the client is still running its checks.
        """
        remaining = total_ms
        next_ping = keepalive_ms
        while remaining > 0:
            step = min(remaining, _STALL_CHECK_MS, next_ping or remaining)
            await asyncio.sleep(step / 1000)
            remaining -= step
            transport = self.request.transport
            if transport is None or transport.is_closing():
                raise ConnectionResetError("the client left during a stall")
            if keepalive_ms and next_ping is not None:
                next_ping -= step
                if next_ping <= 0 and remaining > 0:
                    await self.response.write(PING_FRAME)
                    next_ping = keepalive_ms

    async def _abort_connection(self) -> None:
        """Let the frames already written leave, then kill the TCP connection."""
        transport = self.request.transport
        if transport is None:
            return
        deadline = asyncio.get_running_loop().time() + _FLUSH_WAIT_S
        while transport.get_write_buffer_size() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        transport.abort()
