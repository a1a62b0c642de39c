"""A run narrated as the spec's stream events (§5.4).

Order: `status` IN_PROGRESS; per tool call a `tool_call`/`tool_result` pair
sharing the step id, then that step's `step_trace`; the `text` chunks (paced);
`step_trace` for the answer step and the FLOW_STEP frame; `usage`. The
terminal `done` (or `error`) is produced separately because faults can
replace it. A generator, so a 20,000-chunk run never sits in memory twice.

A run that pauses for human approval sends, after the answer's `step_trace`,
the start of its `HITL` step, `usage` and `status {"status": "WaitingForHuman"}`
(no FLOW_STEP frame: it is still open); its `done` is the pause form
`{status, executionRecordId, sessionId, humanApprovalRequestId}` with no trace.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

from .scripts import AgentRun
from .traces import WAITING_FOR_HUMAN, answer_step, flow_step, hitl_step, tool_step

__all__ = ["SseEvent", "done_event", "error_event", "run_events"]


class SseEvent(NamedTuple):
    """One event to send; a tuple because a benchmark stream builds one per chunk."""

    name: str
    data: Mapping[str, Any]
    delay_ms: int = 0


def _tool_events(run: AgentRun) -> Iterator[SseEvent]:
    for call in run.tool_calls:
        script = call.script
        yield SseEvent(
            "tool_call",
            {
                "id": call.step_id,
                "toolTrace": {
                    "tool": {
                        "name": script.tool,
                        "integrationId": script.integration,
                        "id": script.tool,
                    },
                    "displayName": script.display_name or script.tool,
                    "toolType": script.tool_type,
                    "parameters": call.arguments,
                },
                "arguments": call.arguments,
                "startTime": call.start_ms,
            },
        )
        yield SseEvent(
            "tool_result",
            {
                "id": call.step_id,
                "status": "succeeded",
                "result": call.result,
                "endTime": call.end_ms,
            },
        )
        yield SseEvent("step_trace", tool_step(run, call))


def run_events(run: AgentRun, pacing_ms: int) -> Iterator[SseEvent]:
    """Every non-terminal event of the run, with `pacing_ms` between chunks."""
    yield SseEvent("status", {"status": "IN_PROGRESS"})
    yield from _tool_events(run)
    for index, chunk in enumerate(run.chunks):
        yield SseEvent("text", {"chunk": chunk}, pacing_ms if index else 0)
    yield SseEvent("step_trace", answer_step(run))
    if run.paused:
        yield SseEvent("step_trace", hitl_step(run))
    else:
        yield SseEvent("step_trace", flow_step(run, with_children=False))
    yield SseEvent(
        "usage",
        {
            "inputTokens": run.input_tokens,
            "outputTokens": run.output_tokens,
            "cachedTokens": 0,
            "cacheWriteTokens": 0,
            "thinkingTokens": 0,
            "webSearchCalls": 0,
        },
    )
    if run.paused:
        yield SseEvent("status", {"status": WAITING_FOR_HUMAN})


def done_event(run: AgentRun, trace: Mapping[str, Any]) -> SseEvent:
    """The terminal `done`: with the trace, or the HITL pause form without it."""
    if run.paused:
        return SseEvent(
            "done",
            {
                "status": WAITING_FOR_HUMAN,
                "executionRecordId": run.record_id,
                "sessionId": run.input.session_id,
                "humanApprovalRequestId": run.approval_request_id,
            },
        )
    return SseEvent(
        "done",
        {
            "executionRecordId": run.record_id,
            "sessionId": run.input.session_id,
            "trace": dict(trace),
        },
    )


def error_event(message: str, code: str) -> SseEvent:
    return SseEvent("error", {"message": message, "code": code})
