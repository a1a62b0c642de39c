"""Counters behind `GET /_emulator/stats`.

Tests and benchmarks assert on these to prove client behaviour from the
server side: that a retry really re-sent the request, that an idempotent
replay did not run the agent twice, that a cancelled stream really closed
its connection.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

__all__ = ["EmulatorStats"]


class EmulatorStats:
    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.requests_total = 0
        self.requests_by_route: Counter[str] = Counter()
        self.requests_by_agent: Counter[str] = Counter()
        self.runs_by_agent: Counter[str] = Counter()
        self.streams_open = 0
        self.streams_started = 0
        self.streams_completed = 0
        self.client_disconnects = 0
        self.idempotent_replays = 0
        self.faults_injected = 0

    def count_request(self, route: str, agent: str | None) -> None:
        self.requests_total += 1
        self.requests_by_route[route] += 1
        if agent is not None:
            self.requests_by_agent[agent] += 1

    def count_run(self, agent: str) -> None:
        self.runs_by_agent[agent] += 1

    def snapshot(self, open_connections: int) -> dict[str, Any]:
        return {
            "requests": {
                "total": self.requests_total,
                "byRoute": dict(self.requests_by_route),
                "byAgent": dict(self.requests_by_agent),
            },
            "runs": {
                "total": sum(self.runs_by_agent.values()),
                "byAgent": dict(self.runs_by_agent),
            },
            "connections": {"open": open_connections},
            "streams": {
                "open": self.streams_open,
                "started": self.streams_started,
                "completed": self.streams_completed,
                "clientDisconnects": self.client_disconnects,
            },
            "idempotentReplays": self.idempotent_replays,
            "faultsInjected": self.faults_injected,
        }
