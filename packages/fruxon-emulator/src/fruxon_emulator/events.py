"""A run narrated as the API's stream events.

Order: `status` IN_PROGRESS; per tool call a `tool_call`/`tool_result` pair
sharing the step id, then that step's `step_trace`; the `text` chunks (paced);
`step_trace` for the answer step and the FLOW_STEP frame; `usage`. The
terminal `done` (or `error`) is produced separately because faults can
replace it. A generator, so a 20,000-chunk run never sits in memory twice.

A run that pauses for human approval sends, after the answer's `step_trace`,
the start of its `HITL` step, `usage` and `status {"status": "WaitingForHuman"}`
(no FLOW_STEP frame: it is still open); its `done` is the pause form
`{status, executionRecordId, sessionId, humanApprovalRequestId}` with no trace.
A consult wait does the same without the HITL step, with the marker
`WaitingForAsync` and `waitingFor` in place of `humanApprovalRequestId`.

A run asked to stop (`:cancelRun`) stops before its next text chunk: it sends
`status {"status": "CANCELLED"}` and ends with `error {message, code:
"run_cancelled"}` (`cancelled_event`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, NamedTuple

from .scripts import AgentRun
from .traces import (
    CANCELLED,
    WAITING_FOR_ASYNC_MARKER,
    WAITING_FOR_HUMAN,
    answer_step,
    flow_step,
    hitl_step,
    tool_step,
    waiting_for,
)

__all__ = [
    "RUN_CANCELLED",
    "SseEvent",
    "cancelled_event",
    "done_event",
    "error_event",
    "run_events",
]

RUN_CANCELLED = "run_cancelled"


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


def _never() -> bool:
    return False


def run_events(
    run: AgentRun, pacing_ms: int, cancelled: Callable[[], bool] = _never
) -> Iterator[SseEvent]:
    """Every non-terminal event of the run, with `pacing_ms` between chunks.

    `cancelled` is asked before every text chunk; once it says yes the run
    sends `status CANCELLED` and nothing more (the caller sends the terminal).
    """
    yield SseEvent("status", {"status": "IN_PROGRESS"})
    yield from _tool_events(run)
    for index, chunk in enumerate(run.chunks):
        if cancelled():
            yield SseEvent("status", {"status": CANCELLED})
            return
        yield SseEvent("text", {"chunk": chunk}, pacing_ms if index else 0)
    if cancelled():
        yield SseEvent("status", {"status": CANCELLED})
        return
    yield SseEvent("step_trace", answer_step(run))
    if run.approval_request_id is not None:
        yield SseEvent("step_trace", hitl_step(run))
    elif not run.paused:
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
    if run.approval_request_id is not None:
        yield SseEvent("status", {"status": WAITING_FOR_HUMAN})
    elif run.paused:
        yield SseEvent("status", {"status": WAITING_FOR_ASYNC_MARKER})


def done_event(run: AgentRun, trace: Mapping[str, Any]) -> SseEvent:
    """The terminal `done`: with the trace, or the pause form without it."""
    if run.approval_request_id is not None:
        return SseEvent(
            "done",
            {
                "status": WAITING_FOR_HUMAN,
                "executionRecordId": run.record_id,
                "sessionId": run.input.session_id,
                "humanApprovalRequestId": run.approval_request_id,
            },
        )
    if run.paused:
        return SseEvent(
            "done",
            {
                "status": WAITING_FOR_ASYNC_MARKER,
                "executionRecordId": run.record_id,
                "sessionId": run.input.session_id,
                "waitingFor": waiting_for(run),
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


def cancelled_event() -> SseEvent:
    """The terminal event of a stream whose run was cancelled while it ran."""
    return error_event("The run was cancelled.", RUN_CANCELLED)
