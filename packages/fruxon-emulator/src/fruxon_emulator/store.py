"""Execution records and traces in SQLite (stdlib sqlite3).

In-memory by default so every emulator starts clean; with a file (`--db`)
records survive a restart, which is what lets a test fetch a trace from a
run made by a previous process. Only the event-loop thread touches the
connection, which the wait and file tables (`waits`, `files`) share.

A record saved IN_PROGRESS belongs to a run of this process; one found
IN_PROGRESS when a file is reopened was cut off by a stop, so opening the
store marks it FAILED.
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
_INDEX = (
    "CREATE INDEX IF NOT EXISTS records_by_agent"
    " ON execution_records (tenant, agent_id, created_at)"
)
_ORPHAN_ERROR = "The emulator stopped while the run was in progress."


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
        self._db.execute(_INDEX)
        self._fail_orphans()

    @property
    def connection(self) -> sqlite3.Connection:
        return self._db

    def _fail_orphans(self) -> None:
        rows = self._db.execute(
            "SELECT id, record FROM execution_records WHERE record LIKE '%\"IN_PROGRESS\"%'"
        ).fetchall()
        for record_id, text in rows:
            record = json.loads(text)
            if record.get("status") == "IN_PROGRESS":
                record.update(status="FAILED", error=_ORPHAN_ERROR)
                self._db.execute(
                    "UPDATE execution_records SET record = ? WHERE id = ?",
                    (json.dumps(record), record_id),
                )

    def save(self, tenant: str, record: Mapping[str, Any], trace: Mapping[str, Any]) -> None:
        self._db.execute(
            "INSERT INTO execution_records VALUES (?, ?, ?, ?, ?, ?)",
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

    def update(self, record_id: str, record: Mapping[str, Any], trace: Mapping[str, Any]) -> None:
        """Replace a record and its trace in place (keeping its list position)."""
        self._db.execute(
            "UPDATE execution_records SET record = ?, trace = ? WHERE id = ?",
            (json.dumps(record), json.dumps(trace), record_id),
        )

    def get(self, record_id: str) -> StoredRecord | None:
        row = self._db.execute(
            "SELECT record, trace FROM execution_records WHERE id = ?", (record_id,)
        ).fetchone()
        if row is None:
            return None
        return StoredRecord(json.loads(row[0]), json.loads(row[1]))

    def records(self, tenant: str, agent_id: str) -> list[StoredRecord]:
        """The agent's records, newest first (by start time, then by insertion)."""
        rows = self._db.execute(
            "SELECT record, trace FROM execution_records WHERE tenant = ? AND agent_id = ?"
            " ORDER BY created_at DESC, rowid DESC",
            (tenant, agent_id),
        ).fetchall()
        return [StoredRecord(json.loads(row[0]), json.loads(row[1])) for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM execution_records").fetchone()[0])

    def close(self) -> None:
        self._db.close()
