"""Wire JSON for a finished run: response, trace, record, trace envelope.

Written straight from the spec (§2.1, §2.8, §3.2, §3.3, §3.7) rather than
shared with the SDK's models, so the emulator is an independent reading of
the contract and can catch the SDK misreading it.

A run paused for human approval (§7.4) is still open: its trace and FLOW_STEP
frame have `endTime` 0, a `HITL` step waits for the approval, the response
says `WaitingForHuman` and the record is `WAITING_FOR_ASYNC` with
`waitingFor {kind: "APPROVAL", id}`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .scripts import AgentRun, ToolCallOutcome

__all__ = [
    "WAITING_FOR_HUMAN",
    "answer_step",
    "execution_record",
    "execution_response",
    "execution_trace",
    "flow_step",
    "hitl_step",
    "record_result",
    "result_value",
    "tool_step",
    "trace_envelope",
]

_ZERO_USAGE: Mapping[str, Any] = {
    "cachedTokens": 0,
    "cacheWriteTokens": 0,
    "webSearchCalls": 0,
    "cachedCost": 0.0,
    "cacheWriteCost": 0.0,
    "webSearchCost": 0.0,
    "thinkingCost": 0.0,
}


def result_value(value: Any) -> dict[str, Any]:
    """ResultValue: strings go to strValue, anything else to jsonValue."""
    return {"strValue": value} if isinstance(value, str) else {"jsonValue": value}


WAITING_FOR_HUMAN = "WaitingForHuman"  # the HITL pause marker as 2.0.2 matches it (§5.4, §7.3)
_SUSPENDED = "WAITING_FOR_ASYNC"  # the record status of a suspended run (§7.3)
_OPEN_STATUS = "UNSPECIFIED"  # a step that has not finished yet


def _timed(
    step_id: str, name: str, kind: str, start: int, end: int, status: str = "SUCCESS"
) -> dict[str, Any]:
    """A StepTrace; an open step has `end` 0 and so, as on the platform, a negative duration."""
    return {
        "id": step_id,
        "displayName": name,
        "type": kind,
        "status": status,
        "startTime": start,
        "endTime": end,
        "duration": end - start,
        "steps": [],
    }


def _llm_step(
    run: AgentRun, step_id: str, name: str, span: tuple[int, int], tokens: tuple[int, int]
) -> dict[str, Any]:
    script = run.agent.script
    step = _timed(step_id, name, "LLM_STEP", *span)
    step["llmStepTrace"] = {
        "model": script.model,
        "inputTokens": tokens[0],
        "outputTokens": tokens[1],
        "inputCost": round(tokens[0] * script.input_price_per_token, 10),
        "outputCost": round(tokens[1] * script.output_price_per_token, 10),
    }
    return step


def tool_step(run: AgentRun, call: ToolCallOutcome) -> dict[str, Any]:
    step = _timed(
        call.step_id,
        call.script.display_name or call.script.tool,
        "TOOL",
        call.start_ms,
        call.end_ms,
    )
    step["toolTrace"] = {
        "tool": {
            "integrationId": call.script.integration,
            "id": call.script.tool,
            "name": call.script.tool,
        },
        "displayName": call.script.display_name or call.script.tool,
        "toolType": call.script.tool_type,
        "parameters": call.arguments,
    }
    step["result"] = result_value(call.result)
    return step


def answer_step(run: AgentRun) -> dict[str, Any]:
    planned = run.input_tokens // 2 if run.tool_calls else 0
    start = run.tool_calls[-1].end_ms if run.tool_calls else run.plan_end_ms
    return _llm_step(
        run,
        f"{run.record_id[:8]}-llm-answer",
        "Answer",
        (start, run.end_ms),
        (run.input_tokens - planned, run.output_tokens),
    )


def hitl_step(run: AgentRun) -> dict[str, Any]:
    """The human-approval gate a paused run waits on: started, not finished."""
    step = _timed(
        f"{run.record_id[:8]}-hitl", "Human approval", "HITL", run.end_ms, 0, _OPEN_STATUS
    )
    step["hitlTrace"] = {"humanApprovalRequestId": run.approval_request_id}
    return step


def flow_step(run: AgentRun, *, with_children: bool = True) -> dict[str, Any]:
    end, status = (0, _OPEN_STATUS) if run.paused else (run.end_ms, "SUCCESS")
    step = _timed(
        f"{run.record_id[:8]}-flow",
        run.agent.display_name,
        "FLOW_STEP",
        run.start_ms,
        end,
        status,
    )
    if not with_children:
        return step
    if run.tool_calls:
        planned = run.input_tokens // 2
        step["steps"].append(
            _llm_step(
                run,
                f"{run.record_id[:8]}-llm-plan",
                "Plan",
                (run.start_ms, run.plan_end_ms),
                (planned, 0),
            )
        )
    step["steps"].extend(tool_step(run, call) for call in run.tool_calls)
    step["steps"].append(answer_step(run))
    if run.paused:
        step["steps"].append(hitl_step(run))
    return step


def execution_trace(run: AgentRun) -> dict[str, Any]:
    """AgentExecutionTrace (§3.2) with the step tree (§3.3); open (no result) if paused."""
    trace: dict[str, Any] = {
        "agentId": run.agent.id,
        "agentRevision": run.input.reported_revision,
        "duration": run.duration_ms,
        "inputCost": run.input_cost,
        "outputCost": run.output_cost,
        "totalCost": run.total_cost,
        "inputTokens": run.input_tokens,
        "outputTokens": run.output_tokens,
        **_ZERO_USAGE,
        "createdAt": run.start_ms,
        "parameters": dict(run.input.parameters),
        "startTime": run.start_ms,
        "endTime": run.end_ms,
        "traces": [flow_step(run)],
        "result": {"strValue": run.response},
    }
    if run.paused:
        trace["endTime"] = 0
        del trace["result"]
    return trace


def execution_response(run: AgentRun, trace: Mapping[str, Any]) -> dict[str, Any]:
    """AgentExecutionResponse (§2.1); a paused run adds `humanApprovalRequestId`."""
    response: dict[str, Any] = {
        "response": run.response,
        "trace": dict(trace),
        "sessionId": run.input.session_id,
        "links": list(run.links),
        "executionRecordId": run.record_id,
        "status": "COMPLETED",
    }
    if run.paused:
        response.update(status=WAITING_FOR_HUMAN, humanApprovalRequestId=run.approval_request_id)
    return response


def execution_record(run: AgentRun) -> dict[str, Any]:
    """AgentExecutionRecordResponse (§3.7): COMPLETED, or suspended on an approval.

    A suspended record has no `endTime` yet (null) and says what it waits for.
    """
    record: dict[str, Any] = {
        "id": run.record_id,
        "agentId": run.agent.id,
        "agentRevision": run.input.reported_revision,
        "status": "COMPLETED",
        "startTime": run.start_ms,
        "endTime": run.end_ms,
        "inputTokens": run.input_tokens,
        "outputTokens": run.output_tokens,
        "inputCost": run.input_cost,
        "outputCost": run.output_cost,
        "totalCost": run.total_cost,
        **_ZERO_USAGE,
        "runType": "ROOT",
        "rootExecutionId": run.record_id,
        "origin": run.input.origin,
        "trigger": {"type": "TEST" if run.input.origin == "TEST" else "API"},
        "sessionId": run.input.session_id,
        "environmentSlug": run.input.environment_slug,
    }
    if run.paused:
        record.update(
            status=_SUSPENDED,
            endTime=None,
            waitingFor={"kind": "APPROVAL", "id": run.approval_request_id},
        )
    return record


def trace_envelope(record: Mapping[str, Any], trace: Mapping[str, Any]) -> dict[str, Any]:
    """The `…/executionRecords/{id}/trace` payload (§2.8); `waitingFor` only while suspended."""
    envelope: dict[str, Any] = {
        "status": record["status"],
        "runType": record["runType"],
        "rootExecutionId": record["rootExecutionId"],
        "trace": dict(trace),
    }
    if record.get("waitingFor") is not None:
        envelope["waitingFor"] = record["waitingFor"]
    return envelope


def record_result(record: Mapping[str, Any], trace: Mapping[str, Any]) -> dict[str, Any]:
    """The 2.0.2 CLI's `…/executionRecords/{id}/result` payload (§2.9)."""
    return {
        "agentId": record["agentId"],
        "agentRevision": record["agentRevision"],
        "createdAt": record["startTime"],
        "parameters": trace.get("parameters", {}),
        "result": trace.get("result", {}),
    }
