"""Everything one running emulator remembers, and what `reset` forgets.

Reset clears counters, sessions, the idempotency cache and fault budgets;
records, approvals, files (SQLite) and the integration catalogue stay, so a
test can reset its counters without losing data another fixture set up.

`default_pacing_ms` is the pause between text chunks for agents whose script
sets no `pacing_ms` of its own: the `pacing_ms` argument if given (the CLI's
`--pacing-ms`, the pytest fixtures' 0), else `[emulator] default_pacing_ms`,
else 0.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .catalog import Catalog
from .config import EmulatorConfig
from .faults import FaultBudget
from .files import FileStore
from .idempotency import IdempotencyCache
from .lifecycle import RunLifecycle, now_ms
from .sessions import SessionBook
from .stats import EmulatorStats
from .store import RecordStore
from .waits import WaitStore

__all__ = ["EmulatorState"]


class EmulatorState:
    def __init__(
        self,
        config: EmulatorConfig,
        db: str | os.PathLike[str] | None = None,
        pacing_ms: int | None = None,
    ) -> None:
        self.config = config
        self.store = RecordStore(db)
        self.waits = WaitStore(self.store.connection)
        self.files = FileStore(self.store.connection)
        for seed in config.files:
            self.files.seed(seed, now_ms())
        self.lifecycle = RunLifecycle(self.store, self.waits, self.files)
        self.catalog = Catalog(config.integrations)
        self.sessions = SessionBook()
        self.idempotency = IdempotencyCache()
        self.stats = EmulatorStats()
        self.fault_budget = FaultBudget()
        self.default_pacing_ms = (
            pacing_ms if pacing_ms is not None else (config.default_pacing_ms or 0)
        )
        self.open_connections: Callable[[], int] = lambda: 0

    def snapshot(self) -> dict[str, Any]:
        return self.stats.snapshot(self.open_connections())

    def reset(self) -> None:
        self.stats.reset()
        self.sessions.clear()
        self.idempotency.clear()
        self.fault_budget.reset()

    async def aclose(self) -> None:
        """Stop background resumes, then close the store."""
        await self.lifecycle.close()
        self.close()

    def close(self) -> None:
        self.store.close()
