"""Agent definitions: what an emulated agent is and how its script reads.

An agent is metadata (what `GET …/agents` shows), an entry-point parameter
schema, a list of revisions, optional faults and a deterministic script. The
script is data, not code, so a config file can describe new agents without
touching Python and the same request always produces the same reply.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .config_fields import (
    ConfigError,
    read_bool,
    read_int,
    read_number,
    read_optional_int,
    read_optional_str,
    read_str,
    read_str_list,
    read_table,
    read_table_list,
)

__all__ = [
    "PARAMETER_TYPES",
    "RESULT_TYPES",
    "AgentDefinition",
    "AgentScript",
    "ApprovalScript",
    "ConsultScript",
    "ParameterSpec",
    "RevisionDefinition",
    "ToolCallScript",
    "parse_agent",
    "parse_parameter",
]

PARAMETER_TYPES = ("STRING", "INTEGER", "FLOAT", "BOOLEAN", "JSON")
RESULT_TYPES = ("STRING", "JSON", "FILE")


@dataclass(frozen=True)
class ParameterSpec:
    """One entry-point parameter; `default` None means "no default"."""

    name: str
    type: str = "STRING"
    required: bool = False
    default: Any = None
    description: str = ""
    display_name: str = ""
    minimum: int | None = None
    maximum: int | None = None


@dataclass(frozen=True)
class ToolCallScript:
    """A tool call the script always makes; arguments and result are templates."""

    tool: str
    integration: str = ""
    display_name: str = ""
    tool_type: str = "API"
    duration_ms: int = 100
    arguments: Mapping[str, Any] = field(default_factory=dict)
    result: Any = ""


@dataclass(frozen=True)
class ApprovalScript:
    """The human-approval gate of an agent with `pause_for_approval` (all templates).

    `tool` is the gated tool's key (`integrationId.toolId`), `message` the
    outbound message shown to approvers (default: the reply), `parameters` the
    proposed tool parameters. Once approved, the run calls the tool (when one
    is named; its result is `tool_result`) and answers `approved_reply`, after
    `resume_ms`. `expires_after_ms` > 0 lets the request expire (the run is
    then CANCELLED).
    """

    gate_type: str = "TOOL_FLOW_STEP"
    tool: str = ""
    message: str | None = None
    parameters: Mapping[str, Any] = field(default_factory=dict)
    approvers: tuple[str, ...] = ()
    expires_after_ms: int = 0
    approved_reply: str = "Approved by {responded_by}: done."
    tool_result: Any = field(default_factory=lambda: {"status": "done"})
    resume_ms: int = 0


@dataclass(frozen=True)
class ConsultScript:
    """The consult wait of an agent with `pause_for_consult`.

    The run waits for `participant` (a `participant_kind`); nobody answers in
    the emulator, so it waits until `:cancelWait` (then it answers
    `cancelled_reply`, after `resume_ms`), `:cancelRun` or the expiry.
    """

    participant: str = "Finance team"
    participant_kind: str = "HUMAN"
    expires_after_ms: int = 0
    cancelled_reply: str = "No answer from {participant}: going ahead without it."
    resume_ms: int = 0


@dataclass(frozen=True)
class AgentScript:
    """How a run unfolds: tool calls, then the reply split into text chunks.

    `repeat_chunk` replaces the reply: it is emitted `repeat_count_parameter`
    times with `{i}` set to 0, 1, ... (the benchmark agent).

    `pause_for_approval` makes every run stop on a human-approval gate after
    its reply instead of finishing: the stream ends in the `done` pause form,
    `:execute` answers `status: "WaitingForHuman"` with a
    `humanApprovalRequestId`, and the record stays `WAITING_FOR_ASYNC` until
    the approval is answered (`approval` says what happens then).
    `pause_for_consult` makes it wait on a consult instead (`consult`).

    `pacing_ms` None means "the server's default pace" (`--pacing-ms`).

    `result_type` is what the run's result holds: STRING (the reply), JSON
    (`result_json`, templated) or FILE (the reply saved as a file named
    `result_file_name`, of `result_content_type`; the result is its link).

    `file_parameter` names a parameter holding a stored file (its prompt link
    or id); when the parameter is absent the first `attachments` item is used.
    The file's `{file_name}`, `{file_size}`, `{file_content_type}`,
    `{file_type}` and `{file_id}` are then template values.
    """

    reply: str = "Hello from {agent}."
    follow_up_reply: str | None = None
    repeat_chunk: str | None = None
    repeat_count_parameter: str | None = None
    tool_calls: tuple[ToolCallScript, ...] = ()
    links: tuple[Mapping[str, Any], ...] = ()
    pacing_ms: int | None = None
    llm_latency_ms: int = 250
    model: str = "emulated-llm"
    base_input_tokens: int = 40
    input_price_per_token: float = 0.000002
    output_price_per_token: float = 0.000008
    pause_for_approval: bool = False
    approval: ApprovalScript = field(default_factory=ApprovalScript)
    pause_for_consult: bool = False
    consult: ConsultScript = field(default_factory=ConsultScript)
    result_type: str = "STRING"
    result_json: Any = None
    result_file_name: str = "{agent}-result.txt"
    result_content_type: str = "text/plain"
    file_parameter: str | None = None


@dataclass(frozen=True)
class RevisionDefinition:
    """A published revision; its reply templates override the script's."""

    number: int
    reply: str | None = None
    follow_up_reply: str | None = None


@dataclass(frozen=True)
class AgentDefinition:
    id: str
    tenant: str
    display_name: str = ""
    description: str = ""
    enabled: bool = True
    tags: tuple[str, ...] = ()
    current_revision: int = 1
    revisions: tuple[RevisionDefinition, ...] = (RevisionDefinition(1),)
    parameters: tuple[ParameterSpec, ...] = ()
    input_parameter: str | None = None
    script: AgentScript = field(default_factory=AgentScript)
    faults: Mapping[str, str] = field(default_factory=dict)

    def revision(self, number: int) -> RevisionDefinition | None:
        return next((rev for rev in self.revisions if rev.number == number), None)

    @property
    def input_parameter_name(self) -> str | None:
        """The parameter a session remembers as "what the user said"."""
        if self.input_parameter is not None:
            return self.input_parameter
        return next((p.name for p in self.parameters if p.type == "STRING"), None)


def parse_parameter(table: Mapping[str, Any], where: str) -> ParameterSpec:
    name = read_str(table, "name", where)
    if not name:
        raise ConfigError(f"{where}.name must be a non-empty string")
    kind = read_str(table, "type", where, "STRING").upper()
    if kind not in PARAMETER_TYPES:
        raise ConfigError(f"{where}.type must be one of {', '.join(PARAMETER_TYPES)}")
    return ParameterSpec(
        name=name,
        type=kind,
        required=read_bool(table, "required", where, False),
        default=table.get("default"),
        description=read_str(table, "description", where),
        display_name=read_str(table, "display_name", where),
        minimum=read_optional_int(table, "min", where),
        maximum=read_optional_int(table, "max", where),
    )


def _parse_tool_call(table: Mapping[str, Any], where: str) -> ToolCallScript:
    return ToolCallScript(
        tool=read_str(table, "tool", where) or "tool",
        integration=read_str(table, "integration", where),
        display_name=read_str(table, "display_name", where),
        tool_type=read_str(table, "tool_type", where, "API"),
        duration_ms=read_int(table, "duration_ms", where, 100),
        arguments=read_table(table, "arguments", where),
        result=table.get("result", ""),
    )


def _non_negative(table: Mapping[str, Any], key: str, where: str, default: int) -> int:
    value = read_int(table, key, where, default)
    if value < 0:
        raise ConfigError(f"{where}.{key} must not be negative")
    return value


def _parse_approval(table: Mapping[str, Any], where: str) -> ApprovalScript:
    defaults = ApprovalScript()
    return ApprovalScript(
        gate_type=read_str(table, "gate_type", where, defaults.gate_type),
        tool=read_str(table, "tool", where),
        message=read_optional_str(table, "message", where),
        parameters=dict(read_table(table, "parameters", where)),
        approvers=read_str_list(table, "approvers", where),
        expires_after_ms=_non_negative(table, "expires_after_ms", where, 0),
        approved_reply=read_str(table, "approved_reply", where, defaults.approved_reply),
        tool_result=table.get("tool_result", defaults.tool_result),
        resume_ms=_non_negative(table, "resume_ms", where, 0),
    )


def _parse_consult(table: Mapping[str, Any], where: str) -> ConsultScript:
    defaults = ConsultScript()
    return ConsultScript(
        participant=read_str(table, "participant", where, defaults.participant),
        participant_kind=read_str(table, "participant_kind", where, defaults.participant_kind),
        expires_after_ms=_non_negative(table, "expires_after_ms", where, 0),
        cancelled_reply=read_str(table, "cancelled_reply", where, defaults.cancelled_reply),
        resume_ms=_non_negative(table, "resume_ms", where, 0),
    )


def _parse_script(table: Mapping[str, Any], where: str) -> AgentScript:
    tool_calls = read_table_list(table, "tool_calls", where)
    pause_for_approval = read_bool(table, "pause_for_approval", where, False)
    pause_for_consult = read_bool(table, "pause_for_consult", where, False)
    if pause_for_approval and pause_for_consult:
        raise ConfigError(f"{where}: pause_for_approval and pause_for_consult exclude each other")
    result_type = read_str(table, "result_type", where, "STRING").upper()
    if result_type not in RESULT_TYPES:
        raise ConfigError(f"{where}.result_type must be one of {', '.join(RESULT_TYPES)}")
    pacing = read_optional_int(table, "pacing_ms", where)
    if pacing is not None and pacing < 0:
        raise ConfigError(f"{where}.pacing_ms must not be negative")
    return AgentScript(
        reply=read_str(table, "reply", where, AgentScript.reply),
        follow_up_reply=read_optional_str(table, "follow_up_reply", where),
        repeat_chunk=read_optional_str(table, "repeat_chunk", where),
        repeat_count_parameter=read_optional_str(table, "repeat_count_parameter", where),
        tool_calls=tuple(
            _parse_tool_call(call, f"{where}.tool_calls[{index}]")
            for index, call in enumerate(tool_calls)
        ),
        links=tuple(dict(link) for link in read_table_list(table, "links", where)),
        pacing_ms=pacing,
        llm_latency_ms=read_int(table, "llm_latency_ms", where, AgentScript.llm_latency_ms),
        model=read_str(table, "model", where, AgentScript.model),
        base_input_tokens=read_int(table, "base_input_tokens", where, 40),
        input_price_per_token=read_number(
            table, "input_price_per_token", where, AgentScript.input_price_per_token
        ),
        output_price_per_token=read_number(
            table, "output_price_per_token", where, AgentScript.output_price_per_token
        ),
        pause_for_approval=pause_for_approval,
        approval=_parse_approval(read_table(table, "approval", where), f"{where}.approval"),
        pause_for_consult=pause_for_consult,
        consult=_parse_consult(read_table(table, "consult", where), f"{where}.consult"),
        result_type=result_type,
        result_json=table.get("result_json"),
        result_file_name=read_str(table, "result_file_name", where, AgentScript.result_file_name),
        result_content_type=read_str(
            table, "result_content_type", where, AgentScript.result_content_type
        ),
        file_parameter=read_optional_str(table, "file_parameter", where),
    )


def _parse_revisions(table: Mapping[str, Any], where: str) -> tuple[RevisionDefinition, ...]:
    raw = table.get("revisions", [1])
    if not isinstance(raw, list) or not raw:
        raise ConfigError(f"{where}.revisions must be a non-empty array")
    revisions = []
    for index, item in enumerate(raw):
        spot = f"{where}.revisions[{index}]"
        if isinstance(item, int) and not isinstance(item, bool):
            revisions.append(RevisionDefinition(item))
        elif isinstance(item, Mapping):
            revisions.append(
                RevisionDefinition(
                    number=read_int(item, "number", spot, 0),
                    reply=read_optional_str(item, "reply", spot),
                    follow_up_reply=read_optional_str(item, "follow_up_reply", spot),
                )
            )
        else:
            raise ConfigError(f"{spot} must be an integer or a table")
    if any(rev.number < 1 for rev in revisions):
        raise ConfigError(f"{where}.revisions: revision numbers start at 1")
    return tuple(revisions)


def _parse_faults(table: Mapping[str, Any], where: str) -> dict[str, str]:
    faults: dict[str, str] = {}
    for key, value in read_table(table, "faults", where).items():
        if isinstance(value, bool):
            faults[key] = "1" if value else "0"
        elif isinstance(value, (int, float, str)):
            faults[key] = str(value)
        else:
            raise ConfigError(f"{where}.faults.{key} must be a string, number or boolean")
    return faults


def parse_agent(agent_id: str, table: Mapping[str, Any], default_tenant: str) -> AgentDefinition:
    where = f"agents.{agent_id}"
    revisions = _parse_revisions(table, where)
    current = read_int(table, "current_revision", where, max(rev.number for rev in revisions))
    if current not in {rev.number for rev in revisions}:
        raise ConfigError(f"{where}.current_revision {current} is not among its revisions")
    parameters = tuple(
        parse_parameter(item, f"{where}.parameters[{index}]")
        for index, item in enumerate(read_table_list(table, "parameters", where))
    )
    return AgentDefinition(
        id=agent_id,
        tenant=read_str(table, "tenant", where, default_tenant),
        display_name=read_str(table, "display_name", where, agent_id),
        description=read_str(table, "description", where),
        enabled=read_bool(table, "enabled", where, True),
        tags=read_str_list(table, "tags", where),
        current_revision=current,
        revisions=revisions,
        parameters=parameters,
        input_parameter=read_optional_str(table, "input_parameter", where),
        script=_parse_script(read_table(table, "script", where), f"{where}.script"),
        faults=_parse_faults(table, where),
    )
