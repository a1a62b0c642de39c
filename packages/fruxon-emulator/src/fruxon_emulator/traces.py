"""Wire JSON for a run in each of its states: response, trace, record,
trace envelope, result and execution tree.

Written from the API's documented shapes rather than shared with the SDK's
models, so the emulator is an independent reading of the contract and can
catch the SDK misreading it.

A running run (IN_PROGRESS) and a paused one are open: the trace and its
FLOW_STEP frame have `endTime` 0 and no `result`, the record `endTime` null.
A run paused for human approval has a `HITL` step waiting for the
approval, the response says `WaitingForHuman` and the record is
`WAITING_FOR_ASYNC` with `waitingFor {kind: "APPROVAL", id}`; a consult wait
has `waitingFor {kind: "CONSULT", id, displayName, participantKind, topicId,
waitingSince, expiresAt}` instead.

The second half works on stored JSON (`close_trace`, `resume_trace`,
`settle_record`): what an approval, a rejection, a cancel or an expiry does to
a record and its trace after the run that made them is gone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .scripts import AgentRun, ToolCallOutcome

__all__ = [
    "CANCELLED",
    "COMPLETED",
    "FAILED",
    "IN_PROGRESS",
    "RECORD_STATUSES",
    "REJECTED",
    "TERMINAL_STATUSES",
    "WAITING_FOR_ASYNC",
    "WAITING_FOR_ASYNC_MARKER",
    "WAITING_FOR_HUMAN",
    "answer_step",
    "close_trace",
    "execution_record",
    "execution_response",
    "execution_trace",
    "execution_tree",
    "flow_step",
    "hitl_step",
    "latest_time",
    "record_result",
    "resolve_gate",
    "result_value",
    "resume_trace",
    "settle_record",
    "tool_step",
    "trace_envelope",
    "waiting_for",
]

IN_PROGRESS = "IN_PROGRESS"
WAITING_FOR_ASYNC = "WAITING_FOR_ASYNC"  # the record status of a suspended run
COMPLETED = "COMPLETED"
FAILED = "FAILED"
CANCELLED = "CANCELLED"
REJECTED = "REJECTED"
#: Every record status, live ones first (UNSPECIFIED is never stored).
RECORD_STATUSES = (IN_PROGRESS, WAITING_FOR_ASYNC, COMPLETED, FAILED, CANCELLED, REJECTED)
TERMINAL_STATUSES = (COMPLETED, FAILED, CANCELLED, REJECTED)
_GATED_TOOL_MS = 100  # synthetic duration of the tool an approval unblocks

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


WAITING_FOR_HUMAN = "WaitingForHuman"  # the HITL pause marker, as the official 2.0.2 SDK matches it
#: The emulator's marker for a consult pause (stream `status`/`done`, `:execute`):
#: no source shows one, so it is WAITING_FOR_ASYNC in the HITL marker's casing.
WAITING_FOR_ASYNC_MARKER = "WaitingForAsync"
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
    step_id: str,
    name: str,
    span: tuple[int, int],
    tokens: tuple[int, int],
    model: str,
    prices: tuple[float, float],
) -> dict[str, Any]:
    step = _timed(step_id, name, "LLM_STEP", *span)
    step["llmStepTrace"] = {
        "model": model,
        "inputTokens": tokens[0],
        "outputTokens": tokens[1],
        "inputCost": round(tokens[0] * prices[0], 10),
        "outputCost": round(tokens[1] * prices[1], 10),
    }
    if span[1] == 0:
        step["status"] = _OPEN_STATUS
    return step


def _run_llm_step(
    run: AgentRun, step_id: str, name: str, span: tuple[int, int], tokens: tuple[int, int]
) -> dict[str, Any]:
    script = run.agent.script
    prices = (script.input_price_per_token, script.output_price_per_token)
    return _llm_step(step_id, name, span, tokens, script.model, prices)


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


def answer_step(run: AgentRun, *, running: bool = False) -> dict[str, Any]:
    """The LLM step that writes the reply; still open (`endTime` 0) while `running`."""
    planned = run.input_tokens // 2 if run.tool_calls else 0
    start = run.tool_calls[-1].end_ms if run.tool_calls else run.plan_end_ms
    return _run_llm_step(
        run,
        f"{run.record_id[:8]}-llm-answer",
        "Answer",
        (start, 0 if running else run.end_ms),
        (run.input_tokens - planned, run.output_tokens),
    )


def hitl_step(run: AgentRun) -> dict[str, Any]:
    """The human-approval gate a paused run waits on: started, not finished."""
    step = _timed(
        f"{run.record_id[:8]}-hitl", "Human approval", "HITL", run.end_ms, 0, _OPEN_STATUS
    )
    step["hitlTrace"] = {"humanApprovalRequestId": run.approval_request_id}
    return step


def flow_step(
    run: AgentRun, *, with_children: bool = True, running: bool = False
) -> dict[str, Any]:
    open_ = running or run.paused
    end, status = (0, _OPEN_STATUS) if open_ else (run.end_ms, "SUCCESS")
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
            _run_llm_step(
                run,
                f"{run.record_id[:8]}-llm-plan",
                "Plan",
                (run.start_ms, run.plan_end_ms),
                (planned, 0),
            )
        )
    step["steps"].extend(tool_step(run, call) for call in run.tool_calls)
    step["steps"].append(answer_step(run, running=running))
    if run.approval_request_id is not None and not running:
        step["steps"].append(hitl_step(run))
    return step


def execution_trace(run: AgentRun, *, running: bool = False) -> dict[str, Any]:
    """AgentExecutionTrace with its step tree; open (no result) unless finished."""
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
        "traces": [flow_step(run, running=running)],
        "result": dict(run.result),
    }
    if running or run.paused:
        trace["endTime"] = 0
        del trace["result"]
    return trace


def execution_response(run: AgentRun, trace: Mapping[str, Any]) -> dict[str, Any]:
    """AgentExecutionResponse; a paused run adds its pause marker (and approval id)."""
    response: dict[str, Any] = {
        "response": run.response,
        "trace": dict(trace),
        "sessionId": run.input.session_id,
        "links": list(run.links),
        "executionRecordId": run.record_id,
        "status": "COMPLETED",
    }
    if run.approval_request_id is not None:
        response.update(status=WAITING_FOR_HUMAN, humanApprovalRequestId=run.approval_request_id)
    elif run.pause is not None:
        response.update(status=WAITING_FOR_ASYNC_MARKER, waitingFor=waiting_for(run))
    return response


def waiting_for(run: AgentRun) -> dict[str, Any] | None:
    """The record's `waitingFor` of a paused run: `{kind, id}` for an approval (as the
    CLI and SDK tests pin it), the platform's fuller shape for a consult."""
    pause = run.pause
    if pause is None:
        return None
    if pause.kind == "APPROVAL":
        return {"kind": "APPROVAL", "id": pause.id}
    return {
        "kind": pause.kind,
        "id": pause.id,
        **pause.details,
        "waitingSince": run.end_ms,
        "expiresAt": run.end_ms + pause.expires_after_ms if pause.expires_after_ms else 0,
    }


def execution_record(run: AgentRun, *, running: bool = False) -> dict[str, Any]:
    """AgentExecutionRecordResponse: IN_PROGRESS while `running`, then
    COMPLETED or suspended (no `endTime` yet, and what it waits for)."""
    record: dict[str, Any] = {
        "id": run.record_id,
        "agentId": run.agent.id,
        "agentRevision": run.input.reported_revision,
        "status": COMPLETED,
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
    if running:
        record.update(status=IN_PROGRESS, endTime=None)
    elif run.paused:
        record.update(status=WAITING_FOR_ASYNC, endTime=None, waitingFor=waiting_for(run))
    return record


def trace_envelope(record: Mapping[str, Any], trace: Mapping[str, Any]) -> dict[str, Any]:
    """The `…/executionRecords/{id}/trace` payload; `waitingFor` only while suspended."""
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
    """`…/executionRecords/{id}/result`: `result` holds exactly one of
    `strValue`, `jsonValue`, `fileLink` once the run completed, and is `{}` before
    (and for a run that ended without an answer)."""
    return {
        "agentId": record["agentId"],
        "agentRevision": record["agentRevision"],
        "createdAt": record["startTime"],
        "parameters": trace.get("parameters", {}),
        "result": trace.get("result", {}),
    }


def execution_tree(record: Mapping[str, Any], now_ms: int) -> dict[str, Any]:
    """`…/executionRecords/{id}/tree`: emulated runs spawn no
    sub-runs, so the tree is the root alone."""
    start, end = int(record["startTime"]), record.get("endTime")
    cost = record.get("totalCost", 0.0)
    node = {
        "id": record["id"],
        "agentId": record["agentId"],
        "parentExecutionRecordId": record.get("parentExecutionRecordId"),
        "parentAsyncOperationId": None,
        "depth": 0,
        "runType": record["runType"],
        "status": record["status"],
        "startTime": start,
        "endTime": end,
        "durationMs": None if end is None else end - start,
        "totalCost": cost,
        "creditsCharged": 0,
        "subject": record.get("subject"),
        "trigger": record.get("trigger", {}),
    }
    return {
        "rootExecutionId": record["rootExecutionId"],
        "nodes": [node],
        "totals": {
            "runs": 1,
            "failed": 1 if record["status"] == FAILED else 0,
            "cost": cost,
            "credits": 0,
            "elapsedMs": (now_ms if end is None else end) - start,
            "truncatedByRetention": False,
        },
    }


# -- stored JSON: what happens to a record and its trace after the run -----------------------


def _latest(step: Mapping[str, Any]) -> int:
    """The latest time a step (or any of its children) mentions."""
    own = max(int(step.get("startTime", 0)), int(step.get("endTime", 0)))
    return max([own, *(_latest(child) for child in step.get("steps", []))])


def latest_time(trace: Mapping[str, Any]) -> int:
    return max([int(trace.get("startTime", 0)), *(_latest(s) for s in trace.get("traces", []))])


def _close_steps(steps: list[dict[str, Any]], end_ms: int, status: str, error: str | None) -> None:
    for step in steps:
        _close_steps(step.get("steps", []), end_ms, status, error)
        if step.get("endTime") == 0:
            step.update(endTime=end_ms, duration=end_ms - step["startTime"], status=status)
            if error is not None:
                step["error"] = error


def close_trace(
    trace: dict[str, Any], end_ms: int, status: str, error: str | None = None
) -> dict[str, Any]:
    """End an open trace without an answer: every open step gets `status` (and `error`)."""
    _close_steps(trace.get("traces", []), end_ms, status, error)
    trace.update(endTime=end_ms, duration=end_ms - trace["startTime"])
    trace.pop("result", None)
    return trace


def settle_record(
    record: dict[str, Any], status: str, end_ms: int | None, **extra: Any
) -> dict[str, Any]:
    """Move a stored record to `status`; it waits for nothing any more."""
    record.update(status=status, endTime=end_ms, **extra)
    record.pop("waitingFor", None)
    return record


def _gated_tool_step(prefix: str, tool: Mapping[str, Any], start: int) -> dict[str, Any]:
    integration, _, tool_id = str(tool["key"]).rpartition(".")
    step = _timed(f"{prefix}-tool-gated", tool_id, "TOOL", start, start + _GATED_TOOL_MS)
    step["toolTrace"] = {
        "tool": {"integrationId": integration, "id": tool_id, "name": tool_id},
        "displayName": tool_id,
        "toolType": "API",
        "parameters": tool.get("parameters", {}),
    }
    step["result"] = result_value(tool.get("result", ""))
    return step


def resolve_gate(
    trace: dict[str, Any],
    at_ms: int,
    gate: Mapping[str, Any],
    status: str = "SUCCESS",
    error: str | None = None,
) -> None:
    """Close the open HITL step at `at_ms`, adding `gate` (the decision) to its `hitlTrace`."""
    for flow in trace.get("traces", []):
        for step in flow.get("steps", []):
            if step.get("type") == "HITL" and step.get("endTime") == 0:
                end = max(at_ms, int(step["startTime"]))
                step.update(endTime=end, duration=end - step["startTime"], status=status)
                step.setdefault("hitlTrace", {}).update(gate)
                if error is not None:
                    step["error"] = error


def resume_trace(
    record: dict[str, Any],
    trace: dict[str, Any],
    resume: Mapping[str, Any],
    reply: str,
    at_ms: int,
) -> None:
    """Finish a resumed run in place, from `at_ms` on: the gated tool runs (if the
    wait named one), the `reply` is written, and the record and trace become
    COMPLETED with `result.strValue` = `reply`."""
    prefix = str(record["id"])[:8]
    clock = max(at_ms, latest_time(trace))
    flow = trace["traces"][0]
    _close_steps(flow["steps"], clock, "SUCCESS", None)
    tool = resume.get("tool")
    if tool:
        flow["steps"].append(_gated_tool_step(prefix, tool, clock))
        clock += _GATED_TOOL_MS
    tokens = (int(resume["baseInputTokens"]), len(reply.split()))
    prices = (float(resume["inputPrice"]), float(resume["outputPrice"]))
    latency = int(resume["llmLatencyMs"])
    answer = _llm_step(
        f"{prefix}-llm-resume", "Answer", (clock, clock + latency), tokens, resume["model"], prices
    )
    flow["steps"].append(answer)
    clock += latency
    flow.update(endTime=clock, duration=clock - flow["startTime"], status="SUCCESS")
    costs = answer["llmStepTrace"]
    for target in (record, trace):
        target["inputTokens"] = target.get("inputTokens", 0) + tokens[0]
        target["outputTokens"] = target.get("outputTokens", 0) + tokens[1]
        target["inputCost"] = round(target.get("inputCost", 0.0) + costs["inputCost"], 10)
        target["outputCost"] = round(target.get("outputCost", 0.0) + costs["outputCost"], 10)
        target["totalCost"] = round(target["inputCost"] + target["outputCost"], 10)
    trace.update(endTime=clock, duration=clock - trace["startTime"], result={"strValue": reply})
    settle_record(record, COMPLETED, clock)
