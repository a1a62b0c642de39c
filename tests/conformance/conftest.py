"""Helpers for the conformance suite: fault headers, small timeouts, a recording plugin.

Every test here uses only the synchronous client surface (the ``client`` and
``make_client`` fixtures), so the same test body runs against each transport.
Faults are per client: ``faulty(spec)`` builds a client that sends
``X-Fruxon-Emulator-Fault`` on every request, with a key unique to the test so
``times=N`` budgets never leak between tests.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core import hookimpl
from fruxon_core.http import Timeout
from fruxon_core.plugins import RetryPolicy
from fruxon_emulator import FAULT_HEADER, EmulatorServer

ClientFactory = Callable[..., Any]

#: A retry policy that keeps the suite fast: milliseconds instead of seconds.
FAST_RETRY = RetryPolicy(initial_delay=0.01, max_delay=0.02)


@pytest.fixture
def faulty(make_client: ClientFactory) -> Callable[..., Any]:
    """``faulty("status=503; times=2", **options)``: a client whose requests carry the fault."""

    def build(spec: str, **overrides: Any) -> Any:
        key = f"conformance-{uuid.uuid4()}"
        headers = {FAULT_HEADER: f"{spec}; key={key}"}
        headers.update(overrides.pop("default_headers", {}))
        overrides.setdefault("retry", FAST_RETRY)
        return make_client(default_headers=headers, **overrides)

    return build


@pytest.fixture
def wait_for_stats(emulator: EmulatorServer) -> Callable[[Callable[[dict[str, Any]], bool]], dict]:
    """Poll the emulator's counters until ``predicate(stats)`` holds (or fail after 10 s).

    The server learns about a closed connection asynchronously, so assertions
    on what it saw wait for it instead of sleeping a fixed time.
    """

    def wait(predicate: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
        deadline = time.monotonic() + 10.0
        while True:
            stats = emulator.stats()
            if predicate(stats) or time.monotonic() > deadline:
                assert predicate(stats), f"the emulator never reached the expected state: {stats}"
                return stats
            time.sleep(0.01)

    return wait


class Recorder:
    """A plugin that records every hook call it sees, in order."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.idempotency_keys: list[str | None] = []

    def names(self) -> list[str]:
        return [name for name, _ in self.calls]

    def of(self, name: str) -> list[Any]:
        return [value for hook, value in self.calls if hook == name]

    @hookimpl
    def fruxon_prepare_request(self, request: Any, context: Any) -> None:
        self.calls.append(("prepare_request", request))
        self.idempotency_keys.append(request.header("Idempotency-Key"))

    @hookimpl
    def fruxon_on_response(self, response: Any, context: Any) -> None:
        self.calls.append(("on_response", response))

    @hookimpl
    def fruxon_on_error(self, error: Any, context: Any) -> None:
        self.calls.append(("on_error", error))

    @hookimpl
    def fruxon_on_stream_event(self, event: Any, context: Any) -> None:
        self.calls.append(("on_stream_event", event))

    @hookimpl
    def fruxon_on_retry(self, error: Any, delay: float, context: Any) -> None:
        self.calls.append(("on_retry", error))


@pytest.fixture
def short_idle() -> Timeout:
    """Timeouts for the stall tests: a stream with no event for 0.6 s fails."""
    return Timeout(connect=5.0, read=5.0, stream_idle=0.6)


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def draft_flow() -> dict[str, Any]:
    """A minimal valid inline flow for ``test``/``stream_test`` (one entry, one exit point)."""
    return {
        "steps": [
            {"id": "entry", "type": "ENTRY_POINT"},
            {"id": "answer", "type": "AGENT"},
            {"id": "exit", "type": "EXIT_POINT"},
        ],
        "edges": [{"from": "entry", "to": "answer"}, {"from": "answer", "to": "exit"}],
    }


@pytest.fixture
def unique() -> Callable[[str], str]:
    """``unique("integ")`` → an id no other test (or earlier run) has used."""
    return lambda prefix: f"{prefix}-{uuid.uuid4().hex[:12]}"
