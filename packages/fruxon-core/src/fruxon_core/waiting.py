"""Waiting for a run to end, without I/O: when to poll next, and the error at the deadline.

``client.wait_for_run_end`` polls the run's record; :class:`RunWaiter` says
how long to sleep between polls: a quarter of ``poll_interval`` at first,
doubling up to ``poll_interval``, each wait shortened by up to a fifth at
random (so many waiters do not poll in step) and never past the deadline.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from .exceptions import FruxonTimeoutError

__all__ = ["RunWaiter"]


class RunWaiter:
    """The schedule of one ``wait_for_run_end`` call."""

    def __init__(
        self,
        agent: str,
        record_id: str,
        timeout: float | None,
        poll_interval: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        if not poll_interval > 0:
            raise ValueError(
                f"poll_interval must be a positive number of seconds, got {poll_interval!r}"
            )
        if timeout is not None and timeout < 0:
            raise ValueError(f"timeout must be >= 0 seconds or None, got {timeout!r}")
        self.agent = agent
        self.record_id = record_id
        self.timeout = timeout
        self.poll_interval = float(poll_interval)
        self._clock = clock
        self._jitter = jitter
        self._deadline = None if timeout is None else clock() + timeout
        self._next = self.poll_interval / 4
        self.last_status: str | None = None

    def remaining(self) -> float | None:
        """Seconds left before the deadline (``None``: no deadline)."""
        deadline = self._deadline
        return None if deadline is None else max(0.0, deadline - self._clock())

    def next_delay(self, status: str) -> float:
        """After a poll that saw ``status`` (not terminal): seconds to sleep before the next one.

        Raises the :class:`FruxonTimeoutError` of :meth:`timed_out` once the
        deadline has passed.
        """
        self.last_status = status
        remaining = self.remaining()
        if remaining is not None and remaining <= 0:
            raise self.timed_out()
        delay = self._next * (1.0 - 0.2 * self._jitter())
        self._next = min(self.poll_interval, self._next * 2)
        return delay if remaining is None else min(delay, remaining)

    def timed_out(self) -> FruxonTimeoutError:
        """The error for a wait that reached its deadline, naming the last status seen."""
        return FruxonTimeoutError.run_wait(
            self.agent, self.record_id, self.timeout, self.last_status
        )
