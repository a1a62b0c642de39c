"""What suspended runs wait for: human approvals and consults, in SQLite.

A run that pauses leaves one PENDING wait beside its WAITING_FOR_ASYNC record.
An APPROVAL wait's `body` is the approval request as `…/pendingApprovals`
serves it; a CONSULT wait's `body` is the record's
`waitingFor`. `resume` holds what the run does once the wait resolves
(already rendered at pause time), so a paused run can be resumed after a
restart with a `--db` file even if the config changed meanwhile.

Statuses: PENDING, then RESPONDED (an approval was answered), CANCELLED
(`:cancel`, `:cancelWait`, `:cancelRun`) or EXPIRED (past `expiresAt`).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "APPROVAL",
    "APPROVAL_STATUSES",
    "CANCELLED",
    "CONSULT",
    "EXPIRED",
    "PENDING",
    "RESPONDED",
    "Wait",
    "WaitStore",
]

APPROVAL = "APPROVAL"
CONSULT = "CONSULT"
PENDING = "PENDING"
RESPONDED = "RESPONDED"
CANCELLED = "CANCELLED"
EXPIRED = "EXPIRED"
#: The `status` filter values of `…/pendingApprovals`.
APPROVAL_STATUSES = (PENDING, RESPONDED, CANCELLED, EXPIRED)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS waits (
    id TEXT PRIMARY KEY,
    tenant TEXT NOT NULL,
    agent_id TEXT NOT NULL,
    record_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    body TEXT NOT NULL,
    resume TEXT NOT NULL
)
"""
_INDEXES = (
    "CREATE INDEX IF NOT EXISTS waits_by_record ON waits (record_id)",
    "CREATE INDEX IF NOT EXISTS waits_by_status ON waits (status, expires_at)",
)
_COLUMNS = "id, tenant, agent_id, record_id, kind, status, created_at, expires_at, body, resume"


@dataclass
class Wait:
    id: str
    tenant: str
    agent_id: str
    record_id: str
    kind: str
    status: str
    created_at: int
    expires_at: int  # 0: never
    body: dict[str, Any] = field(default_factory=dict)
    resume: dict[str, Any] = field(default_factory=dict)

    @property
    def pending(self) -> bool:
        return self.status == PENDING


def _wait(row: Sequence[Any]) -> Wait:
    wait_id, tenant, agent_id, record_id, kind, status, created_at, expires_at, body, resume = row
    return Wait(
        wait_id,
        tenant,
        agent_id,
        record_id,
        kind,
        status,
        created_at,
        expires_at,
        json.loads(body),
        json.loads(resume),
    )


class WaitStore:
    """The `waits` table on the store's SQLite connection."""

    def __init__(self, db: sqlite3.Connection) -> None:
        self._db = db
        self._db.execute(_SCHEMA)
        for statement in _INDEXES:
            self._db.execute(statement)

    def add(self, wait: Wait) -> None:
        self._db.execute(
            f"INSERT INTO waits ({_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                wait.id,
                wait.tenant,
                wait.agent_id,
                wait.record_id,
                wait.kind,
                wait.status,
                wait.created_at,
                wait.expires_at,
                json.dumps(wait.body),
                json.dumps(wait.resume),
            ),
        )

    def update(self, wait: Wait) -> None:
        self._db.execute(
            "UPDATE waits SET status = ?, body = ? WHERE id = ?",
            (wait.status, json.dumps(wait.body), wait.id),
        )

    def get(self, tenant: str, wait_id: str) -> Wait | None:
        row = self._db.execute(
            f"SELECT {_COLUMNS} FROM waits WHERE id = ? AND tenant = ?", (wait_id, tenant)
        ).fetchone()
        return None if row is None else _wait(row)

    def of_record(self, record_id: str) -> list[Wait]:
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM waits WHERE record_id = ? ORDER BY created_at", (record_id,)
        ).fetchall()
        return [_wait(row) for row in rows]

    def approvals(self, tenant: str, agent_id: str | None, statuses: Sequence[str]) -> list[Wait]:
        """The tenant's approval requests, newest first, optionally narrowed."""
        query = f"SELECT {_COLUMNS} FROM waits WHERE tenant = ? AND kind = ?"
        arguments: list[Any] = [tenant, APPROVAL]
        if agent_id is not None:
            query += " AND agent_id = ?"
            arguments.append(agent_id)
        if statuses:
            query += f" AND status IN ({', '.join('?' for _ in statuses)})"
            arguments.extend(statuses)
        rows = self._db.execute(query + " ORDER BY created_at DESC, rowid DESC", arguments)
        return [_wait(row) for row in rows.fetchall()]

    def due(self, now_ms: int) -> list[Wait]:
        """PENDING waits whose `expiresAt` has passed."""
        rows = self._db.execute(
            f"SELECT {_COLUMNS} FROM waits WHERE status = ? AND expires_at > 0 AND expires_at <= ?",
            (PENDING, now_ms),
        ).fetchall()
        return [_wait(row) for row in rows]

    def count(self) -> int:
        return int(self._db.execute("SELECT COUNT(*) FROM waits").fetchone()[0])
