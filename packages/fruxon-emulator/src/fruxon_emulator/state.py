"""Everything one running emulator remembers, and what `reset` forgets.

Reset clears counters, sessions, the idempotency cache and fault budgets;
records (SQLite) and the integration catalogue stay, so a test can reset its
counters without losing data another fixture set up.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from .catalog import Catalog
from .config import EmulatorConfig
from .faults import FaultBudget
from .idempotency import IdempotencyCache
from .sessions import SessionBook
from .stats import EmulatorStats
from .store import RecordStore

__all__ = ["EmulatorState"]


class EmulatorState:
    def __init__(self, config: EmulatorConfig, db: str | os.PathLike[str] | None = None) -> None:
        self.config = config
        self.store = RecordStore(db)
        self.catalog = Catalog(config.integrations)
        self.sessions = SessionBook()
        self.idempotency = IdempotencyCache()
        self.stats = EmulatorStats()
        self.fault_budget = FaultBudget()
        self.open_connections: Callable[[], int] = lambda: 0

    def snapshot(self) -> dict[str, Any]:
        return self.stats.snapshot(self.open_connections())

    def reset(self) -> None:
        self.stats.reset()
        self.sessions.clear()
        self.idempotency.clear()
        self.fault_budget.reset()

    def close(self) -> None:
        self.store.close()
