"""Helpers for the middleware tests: a recording plugin, fault headers, fast retries."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from fruxon_core import CallContext, FruxonError, Request, Response, hookimpl
from fruxon_core.plugins import RetryPolicy

FAULT_HEADER = "X-Fruxon-Emulator-Fault"
EXECUTE_ROUTE = "POST /v1/tenants/{tenant}/agents/{agent}:execute"
STREAM_ROUTE = "POST /v1/tenants/{tenant}/agents/{agent}:stream"
GET_AGENT_ROUTE = "GET /v1/tenants/{tenant}/agents/{agent}"


class Recorder:
    """Remembers what the hooks saw, in order: the requests as sent, outcomes, retries."""

    name = "recorder"

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.attempts: list[int] = []
        self.statuses: list[int] = []
        self.errors: list[tuple[int, FruxonError]] = []
        self.retries: list[tuple[int, float]] = []
        self.contexts: list[CallContext] = []

    @hookimpl
    def fruxon_on_request(self, request: Request, context: CallContext) -> None:
        self.requests.append(request)
        self.attempts.append(context.attempt)
        self.contexts.append(context)

    @hookimpl
    def fruxon_on_response(self, response: Response, context: CallContext) -> None:
        self.statuses.append(response.status)

    @hookimpl
    def fruxon_on_error(self, error: FruxonError, context: CallContext) -> None:
        self.errors.append((context.attempt, error))

    @hookimpl
    def fruxon_on_retry(self, error: FruxonError, delay: float, context: CallContext) -> None:
        self.retries.append((context.attempt, delay))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def fault() -> Callable[[str], dict[str, str]]:
    """``fault("status=503; times=2")`` -> the emulator's fault header, with a fresh key."""

    def make(spec: str) -> dict[str, str]:
        return {FAULT_HEADER: f"{spec}; key={uuid.uuid4()}"}

    return make


@pytest.fixture
def fast_retry() -> RetryPolicy:
    """Backoff of 10 ms without jitter, so retry tests stay fast and predictable."""
    return RetryPolicy(initial_delay=0.01, max_delay=0.05, jitter=0.0)


class ServerView:
    """What the emulator saw, read from its counters."""

    def __init__(self, emulator: Any) -> None:
        self.emulator = emulator

    def requests(self, route: str) -> int:
        return int(self.emulator.stats()["requests"]["byRoute"].get(route, 0))

    def executes(self) -> int:
        return self.requests(EXECUTE_ROUTE)

    def streams(self) -> int:
        return self.requests(STREAM_ROUTE)

    def get_agents(self) -> int:
        return self.requests(GET_AGENT_ROUTE)

    def runs(self, agent: str) -> int:
        return int(self.emulator.stats()["runs"]["byAgent"].get(agent, 0))


@pytest.fixture
def server(emulator: Any) -> ServerView:
    """The reset emulator's counters (requests per route, runs per agent)."""
    return ServerView(emulator)
