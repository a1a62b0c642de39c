"""JSON shapes for scripts: ``run --json`` results and NDJSON stream events.

The NDJSON records follow the official CLI's agent-mode schema (spec §8.5,
``schema_version`` 2): one object per line with a ``type`` — ``start``,
``text{delta}``, ``tool_call``, ``tool_result``, ``step_trace`` (the outer
``FLOW_STEP`` frame left out), ``status``, ``usage``, then ``done`` or
``error``. Events the SDK does not know are skipped.
"""

from __future__ import annotations

import json
from typing import Any

import msgspec

from fruxon_core.events import (
    Done,
    StatusChange,
    StepTrace,
    StreamErrorPayload,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
    Usage,
)
from fruxon_core.models import ExecutionResult

__all__ = ["SCHEMA_VERSION", "dumps_line", "event_record", "result_json", "start_record"]

SCHEMA_VERSION = 2


def dumps_line(record: dict[str, Any]) -> str:
    """One NDJSON line (no trailing newline)."""
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"), default=str)


def start_record(agent: str) -> dict[str, Any]:
    return {"type": "start", "schema_version": SCHEMA_VERSION, "agent": agent}


def event_record(event: StreamEvent, agent: str) -> dict[str, Any] | None:
    """The NDJSON record of one event, or ``None`` when it is not reported."""
    payload = event.payload
    if isinstance(payload, TextChunk):
        return {"type": "text", "delta": payload.chunk}
    if isinstance(payload, ToolCall):
        return _tool_call(payload)
    if isinstance(payload, ToolResult):
        return _drop_none(
            {
                "type": "tool_result",
                "id": payload.id,
                "status": payload.status or None,
                "result": payload.result,
                "end_time_ms": payload.end_time or None,
                "duration_ms": payload.duration_ms,
            }
        )
    if isinstance(payload, StepTrace):
        if payload.type == "FLOW_STEP":
            return None
        return _drop_none(
            {
                "type": "step_trace",
                "id": payload.id,
                "name": payload.display_name or None,
                "step_type": payload.type or None,
                "status": payload.status or None,
                "duration_ms": payload.duration if payload.duration >= 0 else None,
            }
        )
    if isinstance(payload, StatusChange):
        return {"type": "status", "status": payload.status}
    if isinstance(payload, Usage):
        return {"type": "usage", **msgspec.structs.asdict(payload)}
    if isinstance(payload, StreamErrorPayload):
        return _drop_none({"type": "error", "message": payload.message, "code": payload.code})
    if isinstance(payload, Done):
        return _done(payload, agent)
    return None


def _tool_call(call: ToolCall) -> dict[str, Any]:
    tool = call.tool_trace.get("tool")
    tool = tool if isinstance(tool, dict) else {}
    return _drop_none(
        {
            "type": "tool_call",
            "id": call.id,
            "name": call.name,
            "display_name": call.tool_trace.get("displayName") or None,
            "integration_id": tool.get("integrationId") or None,
            "tool_type": call.tool_trace.get("toolType") or None,
            "arguments": call.arguments if call.arguments is not None else {},
            "start_time_ms": call.start_time or None,
        }
    )


def _done(done: Done, agent: str) -> dict[str, Any]:
    record: dict[str, Any] = {
        "type": "done",
        "agent": agent,
        "record_id": done.execution_record_id,
        "session_id": done.session_id,
    }
    if done.human_approval_request_id:
        record.update(
            status="waiting_for_human", human_approval_request_id=done.human_approval_request_id
        )
        return _drop_none(record)
    trace = done.trace
    record.update(
        duration_ms=trace.duration,
        total_cost=trace.total_cost,
        input_cost=trace.input_cost,
        output_cost=trace.output_cost,
        input_tokens=trace.input_tokens,
        output_tokens=trace.output_tokens,
        provider_reported_cost=trace.provider_reported_cost,
        agent_revision=trace.agent_revision if trace.agent_revision > 0 else None,
    )
    return _drop_none(record)


def _drop_none(record: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in record.items() if value is not None}


def result_json(result: ExecutionResult) -> dict[str, Any]:
    """A non-streamed run for scripts (official CLI shape, plus status and parameters)."""
    trace = result.trace
    return {
        "response": result.response,
        "sessionId": result.session_id,
        "executionRecordId": result.execution_record_id,
        "status": result.status,
        "humanApprovalRequestId": result.human_approval_request_id,
        "trace": {
            "agentId": trace.agent_id,
            "agentRevision": trace.agent_revision,
            "duration": trace.duration,
            "inputCost": trace.input_cost,
            "outputCost": trace.output_cost,
            "totalCost": trace.total_cost,
            "inputTokens": trace.input_tokens,
            "outputTokens": trace.output_tokens,
            "parameters": trace.parameters,
        },
        "links": result.links,
    }
