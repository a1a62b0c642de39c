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
    "AgentDefinition",
    "AgentScript",
    "ParameterSpec",
    "RevisionDefinition",
    "ToolCallScript",
    "parse_agent",
    "parse_parameter",
]

PARAMETER_TYPES = ("STRING", "INTEGER", "FLOAT", "BOOLEAN", "JSON")


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
class AgentScript:
    """How a run unfolds: tool calls, then the reply split into text chunks.

    `repeat_chunk` replaces the reply: it is emitted `repeat_count_parameter`
    times with `{i}` set to 0, 1, ... (the benchmark agent).

    `pause_for_approval` makes every run stop on a human-approval gate after
    its reply instead of finishing: the stream ends in the `done` pause form,
    `:execute` answers `status: "WaitingForHuman"` with a
    `humanApprovalRequestId`, and the record stays `WAITING_FOR_ASYNC`.
    """

    reply: str = "Hello from {agent}."
    follow_up_reply: str | None = None
    repeat_chunk: str | None = None
    repeat_count_parameter: str | None = None
    tool_calls: tuple[ToolCallScript, ...] = ()
    links: tuple[Mapping[str, Any], ...] = ()
    pacing_ms: int = 0
    llm_latency_ms: int = 250
    model: str = "emulated-llm"
    base_input_tokens: int = 40
    input_price_per_token: float = 0.000002
    output_price_per_token: float = 0.000008
    pause_for_approval: bool = False


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


def _parse_script(table: Mapping[str, Any], where: str) -> AgentScript:
    tool_calls = read_table_list(table, "tool_calls", where)
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
        pacing_ms=read_int(table, "pacing_ms", where, 0),
        llm_latency_ms=read_int(table, "llm_latency_ms", where, AgentScript.llm_latency_ms),
        model=read_str(table, "model", where, AgentScript.model),
        base_input_tokens=read_int(table, "base_input_tokens", where, 40),
        input_price_per_token=read_number(
            table, "input_price_per_token", where, AgentScript.input_price_per_token
        ),
        output_price_per_token=read_number(
            table, "output_price_per_token", where, AgentScript.output_price_per_token
        ),
        pause_for_approval=read_bool(table, "pause_for_approval", where, False),
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
