"""The lazily re-armed sock_read timer: when it times a read out, and that it is the one in use."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_aiohttp import AsyncFruxonClient
from fruxon_aiohttp.transport import _LAZY_READ_TIMER, _LazyReadTimer

pytestmark = pytest.mark.skipif(
    not _LAZY_READ_TIMER, reason="this aiohttp lays out its protocol differently"
)

Make = Callable[..., AsyncFruxonClient]
Run = Callable[..., Any]


class _Handle:
    def __init__(self, when: float, callback: Callable[[], None]) -> None:
        self.when, self.callback, self.cancelled = when, callback, False

    def cancel(self) -> None:
        self.cancelled = True


class _Clock:
    """Just enough of a loop: a clock moved by hand, and the timers armed on it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.handles: list[_Handle] = []

    def time(self) -> float:
        return self.now

    def call_at(self, when: float, callback: Callable[[], None]) -> _Handle:
        handle = _Handle(when, callback)
        self.handles.append(handle)
        return handle

    def armed(self) -> list[_Handle]:
        return [h for h in self.handles if not h.cancelled and h.callback is not None]

    def advance(self, to: float) -> None:
        """Move the clock to ``to``, running each armed timer that is due, in order."""
        while True:
            due = sorted((h for h in self.armed() if h.when <= to), key=lambda h: h.when)
            if not due:
                break
            handle = due[0]
            self.now = handle.when
            callback, handle.callback = handle.callback, None  # (ran: no longer armed)
            callback()
        self.now = to


def _protocol(clock: _Clock, read_timeout: float | None) -> tuple[_LazyReadTimer, list[float]]:
    protocol = _LazyReadTimer(asyncio.new_event_loop())
    protocol._loop.close()
    protocol._loop = clock  # type: ignore[assignment]
    protocol._read_timeout = read_timeout
    fired: list[float] = []
    protocol._on_read_timeout = lambda: fired.append(clock.now)  # type: ignore[method-assign]
    return protocol, fired


def test_bytes_arriving_move_the_deadline_without_a_new_timer() -> None:
    clock = _Clock()
    protocol, fired = _protocol(clock, 10.0)
    protocol._reschedule_timeout()  # request sent: deadline 110
    clock.advance(104.0)
    protocol._reschedule_timeout()  # bytes arrived: deadline 114
    protocol._reschedule_timeout()
    assert len(clock.handles) == 1  # one timer for all three
    clock.advance(113.0)
    assert fired == []  # the timer fired at 110, saw the later deadline and re-armed
    clock.advance(120.0)
    assert fired == [114.0]  # timed out when the last wait had lasted 10 s, as aiohttp would


def test_a_dropped_deadline_never_times_out() -> None:
    clock = _Clock()
    protocol, fired = _protocol(clock, 10.0)
    protocol._reschedule_timeout()
    protocol._drop_timeout()  # body complete
    clock.advance(200.0)
    assert fired == []
    protocol._reschedule_timeout()  # the connection's next request arms it again
    clock.advance(215.0)
    assert fired == [210.0]


def test_a_shorter_limit_than_the_armed_timer_times_out_on_time() -> None:
    clock = _Clock()
    protocol, fired = _protocol(clock, 120.0)
    protocol._reschedule_timeout()  # armed for 220
    protocol._drop_timeout()
    protocol._read_timeout = 0.5  # the next request on this connection reads with 0.5 s
    protocol._reschedule_timeout()
    clock.advance(101.0)
    assert fired == [100.5]


def test_no_limit_arms_nothing() -> None:
    clock = _Clock()
    protocol, fired = _protocol(clock, None)
    protocol._reschedule_timeout()
    clock.advance(10_000.0)
    assert (clock.handles, fired) == ([], [])


def test_a_lost_connection_cancels_its_timer() -> None:
    clock = _Clock()
    protocol, _ = _protocol(clock, 10.0)
    protocol._reschedule_timeout()
    protocol.connection_lost(None)
    assert clock.armed() == []


def test_the_transports_own_session_uses_it(arun: Run, make_async_client: Make) -> None:
    async def main() -> None:
        async with make_async_client() as client:
            await client.execute("echo-agent")
            connector = client._transport.session.connector
            assert isinstance(connector._factory(), _LazyReadTimer)

    arun(main())
