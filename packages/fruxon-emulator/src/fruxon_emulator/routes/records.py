"""Past executions: the record, its trace envelope and its result."""

from __future__ import annotations

from fruxon_emulator.context import RequestContext
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.store import StoredRecord
from fruxon_emulator.traces import record_result, trace_envelope

__all__ = ["get_record", "get_record_result", "get_record_trace"]


def _stored(ctx: RequestContext) -> StoredRecord:
    agent = ctx.agent()
    record_id = ctx.params["record"]
    stored = ctx.state.store.find(ctx.tenant.id, agent.id, record_id)
    if stored is None:
        raise ProblemError(404, f"Execution record {record_id!r} of agent {agent.id!r} not found.")
    return stored


async def get_record(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, _stored(ctx).record)


async def get_record_trace(ctx: RequestContext) -> JsonReply:
    stored = _stored(ctx)
    return JsonReply(200, trace_envelope(stored.record, stored.trace))


async def get_record_result(ctx: RequestContext) -> JsonReply:
    stored = _stored(ctx)
    return JsonReply(200, record_result(stored.record, stored.trace))
