"""JSON shapes for scripts: ``run --json`` results and NDJSON stream events.

The NDJSON records follow the official ``fruxon`` CLI's agent-mode schema
(``schema_version`` 2): one object per line with a ``type`` — ``start``,
``text{delta}``, ``tool_call``, ``tool_result``, ``step_trace`` (the outer
``FLOW_STEP`` frame left out), ``status``, ``usage``, then ``done`` or
``error``. Events the SDK does not know are skipped.

One casing for everything ``fruxon run --json`` writes: snake_case, the
NDJSON schema's. The ``--no-stream`` result uses the names of the ``done``
record (plus ``response``, ``parameters`` and ``links``); values that come
from the API as opaque objects (tool arguments and results, parameters,
links) are passed on unchanged. A failure the CLI sees itself ends the NDJSON
with ``{"type": "error", "code", "message", "exit_code"}``.
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
from fruxon_core.models import ExecutionResult, ExecutionTrace

__all__ = [
    "SCHEMA_VERSION",
    "dumps_line",
    "event_record",
    "result_json",
    "run_summary",
    "start_record",
]

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
    return {
        "type": "done",
        **run_summary(
            agent,
            done.execution_record_id,
            done.session_id,
            None if done.human_approval_request_id else done.trace,
            done.human_approval_request_id,
        ),
    }


def run_summary(
    agent: str,
    record_id: str,
    session_id: str | None,
    trace: ExecutionTrace | None,
    approval_id: str | None = None,
    status: str | None = None,
) -> dict[str, Any]:
    """The fields a stream's ``done`` record and a ``--no-stream`` result share.

    A run paused for a human has ``status: "waiting_for_human"`` and the approval
    request id instead of a trace; otherwise ``status`` is the API's (lower-case),
    ``completed`` when it sent none. Absent values are left out.
    """
    record: dict[str, Any] = {
        "agent": agent,
        "record_id": record_id or None,
        "session_id": session_id,
    }
    if approval_id or trace is None:
        record.update(status="waiting_for_human", human_approval_request_id=approval_id)
        return _drop_none(record)
    record.update(
        status=(status or "completed").lower(),
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


def result_json(result: ExecutionResult, agent: str) -> dict[str, Any]:
    """A ``--no-stream`` run for scripts: the stream's ``done`` fields plus the text.

    Same names (snake_case) as the NDJSON records, so a script reads
    ``record_id`` / ``session_id`` / ``total_cost`` the same way in both modes.
    ``parameters`` and ``links`` are passed on as the API sent them.
    """
    paused = result.waiting_for_human
    trace = result.trace
    return {
        "response": result.response,
        **run_summary(
            trace.agent_id or agent,
            result.execution_record_id,
            result.session_id,
            None if paused else trace,
            result.human_approval_request_id,
            result.status,
        ),
        "parameters": trace.parameters,
        "links": result.links,
    }
