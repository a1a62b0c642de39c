"""The states of a run and every move between them.

```
             ┌──────────── :cancelRun (202, at the next chunk) ───────────┐
 begin ─▶ IN_PROGRESS ─▶ COMPLETED                                        ▼
             │   └─────▶ FAILED (injected stream error)               CANCELLED
             ▼                                                            ▲
      WAITING_FOR_ASYNC ── approve ──▶ (IN_PROGRESS for resume_ms) ─▶ COMPLETED
       (APPROVAL|CONSULT) ─ reject ──▶ REJECTED                           │
             └── :cancelRun (204), approval :cancel, expiry ──────────────┘
             └── consult :cancelWait ─▶ resumes like an approval ─▶ COMPLETED
```

A run of this process is *live* while its request plays it (or while it
resumes after a wait): `:cancelRun` then only asks it to stop (202) and it
ends CANCELLED at its next checkpoint. A paused run is *parked*: `:cancelRun`
ends it at once (204). Everything is stored as it happens, so records, traces,
approvals and files can be read at every step; all of it runs on the event
loop's thread, so no two moves interleave.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Mapping
from typing import Any

from .files import FileStore
from .problems import ProblemError
from .scripts import AgentRun, render_template
from .store import RecordStore, StoredRecord
from .traces import (
    CANCELLED,
    FAILED,
    IN_PROGRESS,
    REJECTED,
    TERMINAL_STATUSES,
    WAITING_FOR_ASYNC,
    close_trace,
    execution_record,
    execution_trace,
    latest_time,
    resolve_gate,
    resume_trace,
    settle_record,
    waiting_for,
)
from .waits import APPROVAL, CONSULT, EXPIRED, PENDING, RESPONDED, Wait, WaitStore
from .waits import CANCELLED as WAIT_CANCELLED

__all__ = ["APPROVE", "REJECT", "LiveRun", "RunLifecycle", "approves", "now_ms"]

APPROVE = "APPROVE"
REJECT = "REJECT"
_APPROVING = re.compile(r"\s*approved?\b", re.IGNORECASE)


def now_ms() -> int:
    return int(time.time() * 1000)


def approves(text: str) -> bool:
    """What the emulator reads as approval: text starting with "approve"/"approved".

    The platform parses the text ("approve" runs the gated tool, anything else
    rejects); the 2.0.2 CLI's `--approve` sends "approve".
    """
    return _APPROVING.match(text) is not None


class LiveRun:
    """A run this process is playing; `:cancelRun` asks it to stop."""

    def __init__(self, record_id: str) -> None:
        self.record_id = record_id
        self.reason: str | None = None
        self._cancel = asyncio.Event()

    @property
    def cancel_requested(self) -> bool:
        return self._cancel.is_set()

    def request_cancel(self, reason: str | None) -> None:
        self.reason = reason
        self._cancel.set()

    async def sleep(self, ms: int) -> bool:
        """Wait `ms`, or less if a cancel arrives; True when a cancel was requested."""
        if self._cancel.is_set() or ms <= 0:
            return self._cancel.is_set()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(self._cancel.wait(), ms / 1000)
        return self._cancel.is_set()


def _conflict(detail: str, code: str) -> ProblemError:
    return ProblemError(409, detail, code=code)


class RunLifecycle:
    """Moves records (and their waits and files) from state to state."""

    def __init__(self, records: RecordStore, waits: WaitStore, files: FileStore) -> None:
        self.records = records
        self.waits = waits
        self.files = files
        self.live: dict[str, LiveRun] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    # -- a run played by a request ---------------------------------------------------------
    def begin(self, tenant: str, run: AgentRun) -> LiveRun:
        """Store the run IN_PROGRESS (open trace, no end) and make it live."""
        self.records.save(
            tenant, execution_record(run, running=True), execution_trace(run, running=True)
        )
        live = self.live[run.record_id] = LiveRun(run.record_id)
        return live

    def finish(self, tenant: str, run: AgentRun) -> dict[str, Any]:
        """The run played to its end: COMPLETED, or parked on its wait. Returns its trace."""
        self.live.pop(run.record_id, None)
        trace = execution_trace(run)
        if run.pause is not None:
            self.waits.add(self._wait_of(tenant, run))
        if run.output_file is not None:
            output = run.output_file
            self.files.add(
                tenant,
                output.name,
                output.content_type,
                output.data,
                now_ms(),
                file_id=output.file_id,
            )
        self.records.update(run.record_id, execution_record(run), trace)
        return trace

    def stop(self, run: AgentRun) -> None:
        """The run saw its cancel at a checkpoint: it ends CANCELLED."""
        live = self.live.pop(run.record_id, None)
        self._cancel_record(run.record_id, live.reason if live else None)

    def fail(self, record_id: str, message: str) -> None:
        """An injected stream error ends the run FAILED."""
        self.live.pop(record_id, None)
        stored = self.records.get(record_id)
        if stored is None:
            return
        end = max(now_ms(), latest_time(stored.trace))
        close_trace(stored.trace, end, "ERROR", message)
        settle_record(stored.record, FAILED, end, error=message)
        self.records.update(record_id, stored.record, stored.trace)

    def settle(self, tenant: str, run: AgentRun) -> None:
        """After a stream: a run still live (its client left) ends as it would have."""
        live = self.live.get(run.record_id)
        if live is None:
            return
        if live.cancel_requested:
            self.stop(run)
        else:
            self.finish(tenant, run)

    def forget(self, record_id: str) -> None:
        """The request was torn down (shutdown): the record stays as it is."""
        self.live.pop(record_id, None)

    # -- moves asked for over the API ------------------------------------------------------
    def cancel_run(self, stored: StoredRecord, reason: str | None) -> int:
        """`:cancelRun`: 202 when a live run was asked to stop, 204 when it stopped now."""
        record = stored.record
        if record["status"] in TERMINAL_STATUSES:
            raise _conflict(
                f"Execution record {record['id']!r} already ended ({record['status']}).",
                "run_finished",
            )
        live = self.live.get(record["id"])
        if live is not None:
            live.request_cancel(reason)
            return 202
        for wait in self.waits.of_record(record["id"]):
            if wait.pending:
                self._close_wait(wait, WAIT_CANCELLED)
        self._cancel_record(record["id"], reason)
        return 204

    def cancel_wait(self, tenant: str, stored: StoredRecord) -> None:
        """`:cancelWait`: a CONSULT wait resolves as cancelled and the run goes on."""
        record = stored.record
        waits = self.waits.of_record(record["id"])
        pending = [wait for wait in waits if wait.pending]
        if record["status"] == WAITING_FOR_ASYNC and pending:
            wait = pending[-1]
            if wait.kind != CONSULT:
                raise ProblemError(
                    400,
                    f"Only consult waits can be cancelled; this run waits for {wait.kind}.",
                    errors={"waitingFor.kind": [f"is {wait.kind}, not CONSULT"]},
                )
            self._close_wait(wait, WAIT_CANCELLED)
            self._resume(tenant, stored, wait.resume, {}, now_ms())
            return
        if waits:
            raise _conflict(
                f"The wait of execution record {record['id']!r} was already resolved.",
                "wait_resolved",
            )
        raise ProblemError(404, f"Execution record {record['id']!r} is not waiting.")

    def respond(self, wait: Wait, text: str, actor: str) -> Wait:
        """`:respond`: approve (the run resumes) or reject (it ends REJECTED)."""
        self._require_pending(wait)
        decision = APPROVE if approves(text) else REJECT
        at = max(now_ms(), wait.created_at)
        wait.status = RESPONDED
        wait.body.update(status=RESPONDED, decision=decision, respondedBy=actor, respondedAt=at)
        self.waits.update(wait)
        stored = self._waiting_record(wait)
        if stored is None:
            return wait
        gate = {"decision": decision, "respondedBy": actor}
        if decision == APPROVE:
            resolve_gate(stored.trace, at, gate)
            values = {"responded_by": actor, "decision": decision, "response_text": text}
            self._resume(wait.tenant, stored, wait.resume, values, at)
        else:
            detail = f"Rejected by {actor}: {text}"
            resolve_gate(stored.trace, at, gate, "ERROR", detail)
            close_trace(stored.trace, at, "ERROR", detail)
            settle_record(
                stored.record,
                REJECTED,
                max(at, latest_time(stored.trace)),
                rejectionReason="APPROVAL_REJECTED",
                rejectionDetail=text,
            )
            self.records.update(wait.record_id, stored.record, stored.trace)
        return wait

    def cancel_approval(self, wait: Wait, reason: str | None) -> Wait:
        """`:cancel` on an approval: it is CANCELLED, and so is the run waiting on it."""
        self._require_pending(wait)
        self._close_wait(wait, WAIT_CANCELLED)
        if self._waiting_record(wait) is not None:
            self._cancel_record(wait.record_id, reason)
        return wait

    def expire_due(self) -> None:
        """PENDING waits past `expiresAt` become EXPIRED; their runs end CANCELLED."""
        for wait in self.waits.due(now_ms()):
            self._close_wait(wait, EXPIRED)
            if self._waiting_record(wait) is not None:
                noun = "approval request" if wait.kind == APPROVAL else "consult"
                self._cancel_record(wait.record_id, f"The {noun} expired.")

    async def close(self) -> None:
        """Stop resumes still waiting out their delay (their records stay IN_PROGRESS)."""
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    # -- helpers -----------------------------------------------------------------------------
    def _wait_of(self, tenant: str, run: AgentRun) -> Wait:
        pause = run.pause
        assert pause is not None
        created = run.end_ms
        expires = created + pause.expires_after_ms if pause.expires_after_ms else 0
        if pause.kind == APPROVAL:
            body: dict[str, Any] = {
                "id": pause.id,
                "status": PENDING,
                "gateType": pause.details["gateType"],
                "stepIdentifier": f"{run.record_id[:8]}-hitl",
                "toolKey": pause.details["toolKey"],
                "outboundMessage": pause.details["outboundMessage"],
                "proposedParameters": pause.details["proposedParameters"],
                "authorizedApprovers": pause.details["authorizedApprovers"],
                "expiresAt": expires,
                "decision": "",
                "agentId": run.agent.id,
                "respondedBy": "",
                "respondedAt": 0,
                "createdAt": created,
                "executionRecordId": run.record_id,
            }
        else:
            body = dict(waiting_for(run) or {})
        return Wait(
            id=pause.id,
            tenant=tenant,
            agent_id=run.agent.id,
            record_id=run.record_id,
            kind=pause.kind,
            status=PENDING,
            created_at=created,
            expires_at=expires,
            body=body,
            resume=dict(pause.resume),
        )

    def _require_pending(self, wait: Wait) -> None:
        if not wait.pending:
            raise _conflict(
                f"Approval request {wait.id!r} is {wait.status}, no longer PENDING.",
                "approval_not_pending",
            )

    def _close_wait(self, wait: Wait, status: str) -> None:
        wait.status = status
        if wait.kind == APPROVAL:
            wait.body["status"] = status
        self.waits.update(wait)

    def _waiting_record(self, wait: Wait) -> StoredRecord | None:
        """The wait's record, if it is still suspended on this very wait."""
        stored = self.records.get(wait.record_id)
        if stored is None or stored.record["status"] != WAITING_FOR_ASYNC:
            return None
        waiting = stored.record.get("waitingFor") or {}
        return stored if waiting.get("id") == wait.id else None

    def _cancel_record(self, record_id: str, reason: str | None) -> None:
        stored = self.records.get(record_id)
        if stored is None or stored.record["status"] in TERMINAL_STATUSES:
            return
        end = max(now_ms(), latest_time(stored.trace))
        close_trace(stored.trace, end, "CANCELLED")
        extra = {} if reason is None else {"cancellationReason": reason}
        settle_record(stored.record, CANCELLED, end, **extra)
        self.records.update(record_id, stored.record, stored.trace)

    def _resume(
        self,
        tenant: str,
        stored: StoredRecord,
        resume: Mapping[str, Any],
        values: Mapping[str, Any],
        at: int,
    ) -> None:
        """Let a parked run go on: at once, or IN_PROGRESS (live) for `resumeMs` first."""
        reply = render_template(str(resume.get("reply", "")), values)
        record_id = stored.record["id"]
        delay = int(resume.get("resumeMs", 0))
        if delay <= 0:
            resume_trace(stored.record, stored.trace, resume, reply, at)
            self.records.update(record_id, stored.record, stored.trace)
            return
        settle_record(stored.record, IN_PROGRESS, None)
        self.records.update(record_id, stored.record, stored.trace)
        live = self.live[record_id] = LiveRun(record_id)
        task = asyncio.get_running_loop().create_task(
            self._resume_later(live, resume, reply, delay)
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _resume_later(
        self, live: LiveRun, resume: Mapping[str, Any], reply: str, delay: int
    ) -> None:
        try:
            cancelled = await live.sleep(delay)
        finally:
            self.live.pop(live.record_id, None)
        if cancelled:
            self._cancel_record(live.record_id, live.reason)
            return
        stored = self.records.get(live.record_id)
        if stored is None or stored.record["status"] != IN_PROGRESS:
            return
        resume_trace(stored.record, stored.trace, resume, reply, now_ms())
        self.records.update(live.record_id, stored.record, stored.trace)
