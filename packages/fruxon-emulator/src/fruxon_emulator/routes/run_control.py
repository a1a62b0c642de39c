"""Stopping runs and their waits: `:cancelRun` and `:cancelWait`.

Both take an optional body `{reason?: string}` (`{}` or no body is fine) and
answer without a body:

* `:cancelRun` — 204 when the run stopped now (it was parked: waiting for an
  approval or a consult, whose wait is cancelled too); 202 when a live run was
  asked to stop (it ends CANCELLED at its next text chunk); 409
  `run_finished` when it had already ended.
* `:cancelWait` — 204 when a CONSULT wait was resolved as cancelled (the run
  goes on and completes); 400 for an APPROVAL wait (answer or cancel the
  approval instead); 404 when the run never waited; 409 `wait_resolved` when
  its wait was resolved first.
"""

from __future__ import annotations

from fruxon_emulator.context import RequestContext
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.routes.records import stored_record
from fruxon_emulator.validation import FieldErrors

__all__ = ["cancel_run", "cancel_wait", "read_reason"]


def read_reason(ctx: RequestContext) -> str | None:
    """The optional `reason` of a cancel body (400 unless a string)."""
    errors = FieldErrors()
    reason = errors.optional(ctx.json_body(), "reason", str)
    errors.raise_if_any()
    return reason or None


async def cancel_run(ctx: RequestContext) -> JsonReply:
    reason = read_reason(ctx)
    stored = stored_record(ctx)
    return JsonReply(ctx.state.lifecycle.cancel_run(stored, reason))


async def cancel_wait(ctx: RequestContext) -> JsonReply:
    read_reason(ctx)
    stored = stored_record(ctx)
    ctx.state.lifecycle.cancel_wait(ctx.tenant.id, stored)
    return JsonReply(204)
