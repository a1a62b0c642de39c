"""Execution records and traces in SQLite (stdlib sqlite3).

In-memory by default so every emulator starts clean; with a file (`--db`)
records survive a restart, which is what lets a test fetch a trace from a
run made by a previous process. Only the event-loop thread touches the
connection.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["RecordStore", "StoredRecord"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS execution_records (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    record TEXT NOT NULL,
    trace TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class StoredRecord:
    record: dict[str, Any]
    trace: dict[str, Any]


class RecordStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = os.fspath(path) if path is not None else ":memory:"
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.execute(_SCHEMA)

    def save(self, tenant: str, record: Mapping[str, Any], trace: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT OR REPLACE INTO execution_records VALUES (?, ?, ?, ?, ?, ?)",
            (
                record["id"],
                tenant,
                record["agentId"],
                record["startTime"],
                json.dumps(record),
                json.dumps(trace),
            ),
        )

    def find(self, tenant: str, agent_id: str, record_id: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT record, trace FROM execution_records"
            " WHERE id = ? AND tenant = ? AND agent_id = ?",
            (record_id, tenant, agent_id),
        ).fetchone()
        if row is None:
            return None
        return StoredRecord(json.loads(row[0]), json.loads(row[1]))

    def mark_failed(self, record_id: str, message: str) -> None:
        """A stream that ended in an `error` event leaves a FAILED record (waiting no more)."""
        row = self._db.execute(
            "SELECT record FROM execution_records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return
        record = json.loads(row[0])
        record.update(status="FAILED", error=message)
        record.pop("waitingFor", None)
        self._db.execute(
            "UPDATE execution_records SET record = ? WHERE id = ?", (json.dumps(record), record_id)
        )

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM execution_records").fetchone()[0])

    def close(self) -> None:
        self._db.close()
