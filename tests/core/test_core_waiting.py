"""wait_for_run_end's schedule, without I/O: backoff, jitter, deadline, and the timeout error."""

from __future__ import annotations

import pytest

from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.waiting import RunWaiter


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _waiter(timeout: float | None, poll_interval: float, jitter: float = 0.0) -> RunWaiter:
    return RunWaiter("a", "r-1", timeout, poll_interval, clock=Clock(), jitter=lambda: jitter)


def test_polls_back_off_from_a_quarter_of_the_interval_to_the_interval() -> None:
    waiter = _waiter(None, 2.0)
    assert [waiter.next_delay("IN_PROGRESS") for _ in range(5)] == [0.5, 1.0, 2.0, 2.0, 2.0]


def test_jitter_shortens_each_wait_by_at_most_a_fifth() -> None:
    waiter = _waiter(None, 2.0, jitter=1.0)
    assert [waiter.next_delay("IN_PROGRESS") for _ in range(3)] == [0.4, 0.8, 1.6]
    half = _waiter(None, 2.0, jitter=0.5)
    assert half.next_delay("IN_PROGRESS") == pytest.approx(0.45)


def test_a_wait_never_runs_past_the_deadline_and_the_deadline_raises() -> None:
    clock = Clock()
    waiter = RunWaiter("agent-x", "r-9", 3.0, 2.0, clock=clock, jitter=lambda: 0.0)
    assert waiter.next_delay("IN_PROGRESS") == 0.5
    clock.now += 2.7
    assert waiter.next_delay("WAITING_FOR_ASYNC") == pytest.approx(0.3)
    clock.now += 0.3
    with pytest.raises(FruxonTimeoutError) as caught:
        waiter.next_delay("WAITING_FOR_ASYNC")
    error = caught.value
    assert isinstance(error, FruxonConnectionError)
    assert error.last_status == "WAITING_FOR_ASYNC"
    assert str(error) == (
        "timed out after 3s waiting for run 'r-9' of agent 'agent-x' to end; "
        "last status: WAITING_FOR_ASYNC"
    )


def test_remaining_is_none_without_a_deadline_and_never_negative() -> None:
    clock = Clock()
    waiter = RunWaiter("a", "r", 1.0, 1.0, clock=clock)
    assert waiter.remaining() == 1.0
    clock.now += 5
    assert waiter.remaining() == 0.0
    assert _waiter(None, 1.0).remaining() is None


def test_a_timeout_before_any_poll_names_no_status() -> None:
    assert "last status: unknown" in str(_waiter(1.0, 1.0).timed_out())


@pytest.mark.parametrize(("timeout", "poll_interval"), [(1.0, 0.0), (1.0, -1.0), (-1.0, 1.0)])
def test_nonsense_settings_are_refused(timeout: float, poll_interval: float) -> None:
    with pytest.raises(ValueError, match="must be"):
        RunWaiter("a", "r", timeout, poll_interval)
