"""Running an agent's script: deterministic replies, tool calls and usage.

The same parameters and session history always give the same reply, tool
arguments, token counts and costs; only ids and wall-clock timestamps vary.
Step durations are synthetic (from the script's latencies) so traces look
like real runs without the emulator actually waiting that long.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from .agents import AgentDefinition, AgentScript, ToolCallScript
from .files import file_type_of, prompt_link
from .sessions import Turn

__all__ = [
    "AgentRun",
    "OutputFile",
    "Pause",
    "RunInput",
    "ToolCallOutcome",
    "render_template",
    "render_value",
    "run_script",
]

_PLACEHOLDER = re.compile(r"\{(\w+)\}")
_WORD = re.compile(r"\S+\s*")


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def render_template(template: str, context: Mapping[str, Any]) -> str:
    """Replace `{name}` with context values; unknown names stay literal."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        return _as_text(context[name]) if name in context else match.group(0)

    return _PLACEHOLDER.sub(substitute, template)


def render_value(value: Any, context: Mapping[str, Any]) -> Any:
    """render_template applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return render_template(value, context)
    if isinstance(value, Mapping):
        return {key: render_value(item, context) for key, item in value.items()}
    if isinstance(value, list):
        return [render_value(item, context) for item in value]
    return value


@dataclass(frozen=True)
class RunInput:
    """Everything a run depends on; `reported_revision` is -1 for draft tests."""

    tenant: str
    agent: AgentDefinition
    revision: int
    reported_revision: int
    parameters: Mapping[str, Any]
    session_id: str
    history: tuple[Turn, ...]
    origin: str = "PRODUCTION"
    environment_slug: str | None = None
    pacing_ms: int = 0
    extra_context: Mapping[str, Any] = field(default_factory=dict)

    @property
    def input_text(self) -> str:
        name = self.agent.input_parameter_name
        value = self.parameters.get(name) if name else None
        return "" if value is None else _as_text(value)


@dataclass(frozen=True)
class ToolCallOutcome:
    step_id: str
    script: ToolCallScript
    arguments: Any
    result: Any
    start_ms: int
    end_ms: int


@dataclass(frozen=True)
class Pause:
    """What a paused run waits for (`kind` APPROVAL or CONSULT), rendered at run time.

    `details` are the wait's wire fields (the approval request's, or the
    consult's `waitingFor` ones); `resume` is what the run does once the wait
    resolves: the reply template still holding `{responded_by}`, `{decision}`
    and `{response_text}`, the gated tool, the resume delay and the prices.
    """

    kind: str
    id: str
    expires_after_ms: int
    details: Mapping[str, Any]
    resume: Mapping[str, Any]


@dataclass(frozen=True)
class OutputFile:
    """The file a FILE-result run writes when it completes."""

    file_id: str
    name: str
    content_type: str
    data: bytes

    @property
    def prompt_link(self) -> str:
        return prompt_link(file_type_of(self.content_type), self.file_id)

    def link(self) -> dict[str, Any]:
        """Its FileLink, as `links[]` and `/storage` show it."""
        return {
            "fileId": self.file_id,
            "fileType": file_type_of(self.content_type),
            "contentType": self.content_type,
            "promptLink": self.prompt_link,
            "displayName": self.name,
        }


@dataclass(frozen=True)
class AgentRun:
    """One played script; `pause` is set when it stopped to wait (still open)."""

    record_id: str
    input: RunInput
    chunks: tuple[str, ...]
    tool_calls: tuple[ToolCallOutcome, ...]
    links: tuple[Any, ...]
    input_tokens: int
    output_tokens: int
    start_ms: int
    plan_end_ms: int
    end_ms: int
    pause: Pause | None = None
    result: Mapping[str, Any] = field(default_factory=dict)
    output_file: OutputFile | None = None

    @property
    def paused(self) -> bool:
        """True when the run stopped on a wait (approval or consult) and is still open."""
        return self.pause is not None

    @property
    def approval_request_id(self) -> str | None:
        """The human-approval request a paused run waits on (None for a consult)."""
        pause = self.pause
        return pause.id if pause is not None and pause.kind == "APPROVAL" else None

    @property
    def response(self) -> str:
        return "".join(self.chunks)

    @property
    def agent(self) -> AgentDefinition:
        return self.input.agent

    @property
    def input_cost(self) -> float:
        return round(self.input_tokens * self.agent.script.input_price_per_token, 10)

    @property
    def output_cost(self) -> float:
        return round(self.output_tokens * self.agent.script.output_price_per_token, 10)

    @property
    def total_cost(self) -> float:
        return round(self.input_cost + self.output_cost, 10)

    @property
    def duration_ms(self) -> int:
        return self.end_ms - self.start_ms


def _context(run_input: RunInput) -> dict[str, Any]:
    history = run_input.history
    script = run_input.agent.script
    return {
        **({"participant": script.consult.participant} if script.pause_for_consult else {}),
        **run_input.parameters,
        **run_input.extra_context,
        "agent": run_input.agent.id,
        "agent_name": run_input.agent.display_name,
        "revision": run_input.revision,
        "turn": len(history) + 1,
        "session_id": run_input.session_id,
        "previous_input": history[-1].input_text if history else "",
        "previous_response": history[-1].response if history else "",
        "history": " | ".join(turn.input_text for turn in history),
    }


def _reply_chunks(run_input: RunInput, context: Mapping[str, Any]) -> Iterator[str]:
    script = run_input.agent.script
    if script.repeat_chunk is not None:
        count = run_input.parameters.get(script.repeat_count_parameter or "count", 0)
        count = count if isinstance(count, int) and not isinstance(count, bool) else 0
        # Render everything but {i} once; per chunk only the index changes.
        chunk = render_template(script.repeat_chunk, {k: v for k, v in context.items() if k != "i"})
        for index in range(max(count, 0)):
            yield chunk.replace("{i}", str(index))
        return
    revision = run_input.agent.revision(run_input.revision)
    reply = (revision.reply if revision else None) or script.reply
    follow_up = (revision.follow_up_reply if revision else None) or script.follow_up_reply
    if run_input.history and follow_up:
        reply = follow_up
    text = render_template(reply, context)
    words = _WORD.findall(text)
    if not words:
        yield from ([text] if text else [])
        return
    words[0] = text[: len(text) - len(text.lstrip())] + words[0]
    yield from words


def _tool_calls(
    run_input: RunInput, context: Mapping[str, Any], start_ms: int, record_id: str
) -> tuple[ToolCallOutcome, ...]:
    outcomes = []
    clock = start_ms
    for index, call in enumerate(run_input.agent.script.tool_calls):
        outcomes.append(
            ToolCallOutcome(
                step_id=f"{record_id[:8]}-tool-{index + 1}",
                script=call,
                arguments=render_value(dict(call.arguments), context),
                result=render_value(call.result, context),
                start_ms=clock,
                end_ms=clock + call.duration_ms,
            )
        )
        clock += call.duration_ms
    return tuple(outcomes)


def _input_tokens(run_input: RunInput, tool_calls: tuple[ToolCallOutcome, ...]) -> int:
    words = sum(len(_as_text(value).split()) for value in run_input.parameters.values())
    tool_words = sum(len(_as_text(call.result).split()) for call in tool_calls)
    history_tokens = sum(
        len(turn.input_text.split()) + len(turn.response.split()) for turn in run_input.history
    )
    return run_input.agent.script.base_input_tokens + words + tool_words + history_tokens


def _resume_costs(script: AgentScript) -> dict[str, Any]:
    return {
        "llmLatencyMs": script.llm_latency_ms,
        "model": script.model,
        "baseInputTokens": script.base_input_tokens,
        "inputPrice": script.input_price_per_token,
        "outputPrice": script.output_price_per_token,
    }


def _pause(script: AgentScript, context: Mapping[str, Any], response: str) -> Pause | None:
    if script.pause_for_approval:
        gate = script.approval
        tool = None
        if gate.tool:
            tool = {
                "key": gate.tool,
                "parameters": render_value(dict(gate.parameters), context),
                "result": render_value(gate.tool_result, context),
            }
        return Pause(
            kind="APPROVAL",
            id=str(uuid.uuid4()),
            expires_after_ms=gate.expires_after_ms,
            details={
                "gateType": gate.gate_type,
                "toolKey": gate.tool,
                "outboundMessage": response
                if gate.message is None
                else render_template(gate.message, context),
                "proposedParameters": render_value(dict(gate.parameters), context),
                "authorizedApprovers": list(gate.approvers),
            },
            resume={
                "reply": render_template(gate.approved_reply, context),
                "tool": tool,
                "resumeMs": gate.resume_ms,
                **_resume_costs(script),
            },
        )
    if script.pause_for_consult:
        consult = script.consult
        return Pause(
            kind="CONSULT",
            id=str(uuid.uuid4()),
            expires_after_ms=consult.expires_after_ms,
            details={
                "displayName": consult.participant,
                "participantKind": consult.participant_kind,
                "topicId": str(uuid.uuid4()),
            },
            resume={
                "reply": render_template(consult.cancelled_reply, context),
                "tool": None,
                "resumeMs": consult.resume_ms,
                **_resume_costs(script),
            },
        )
    return None


def _result(
    script: AgentScript, context: Mapping[str, Any], response: str
) -> tuple[dict[str, Any], OutputFile | None]:
    """The run's ResultValue (and the file a FILE result writes)."""
    if script.result_type == "JSON":
        value = script.result_json if script.result_json is not None else {"response": "{reply}"}
        return {"jsonValue": render_value(value, {**context, "reply": response})}, None
    if script.result_type == "FILE":
        name = render_template(script.result_file_name, context)
        output = OutputFile(str(uuid.uuid4()), name, script.result_content_type, response.encode())
        return {"fileLink": output.prompt_link}, output
    return {"strValue": response}, None


def run_script(run_input: RunInput, now_ms: int) -> AgentRun:
    """Play the script once; the caller decides about pacing and persistence."""
    script = run_input.agent.script
    record_id = str(uuid.uuid4())
    context = _context(run_input)
    plan_end = now_ms + (script.llm_latency_ms if script.tool_calls else 0)
    tool_calls = _tool_calls(run_input, context, plan_end, record_id)
    chunks = tuple(_reply_chunks(run_input, context))
    answer_start = tool_calls[-1].end_ms if tool_calls else plan_end
    answer_ms = script.llm_latency_ms + run_input.pacing_ms * max(len(chunks) - 1, 0)
    links = tuple(render_value(dict(link), context) for link in script.links)
    response = "".join(chunks)
    result, output_file = _result(script, context, response)
    if output_file is not None:
        links += (output_file.link(),)
    return AgentRun(
        record_id=record_id,
        input=run_input,
        chunks=chunks,
        tool_calls=tool_calls,
        links=links,
        input_tokens=_input_tokens(run_input, tool_calls),
        output_tokens=len(chunks),
        start_ms=now_ms,
        plan_end_ms=plan_end,
        end_ms=answer_start + answer_ms,
        pause=_pause(script, context, response),
        result=result,
        output_file=output_file,
    )
