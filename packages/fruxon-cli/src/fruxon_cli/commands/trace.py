"""``fruxon trace AGENT RECORD_ID``: a past execution as a tree of steps.

The in-process emulator of ``--emulator`` starts empty, so there RECORD_ID may
be omitted (or ``last``): the agent is run first and that run is traced.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from fruxon_cli.connection import command_client, command_options, emit
from fruxon_cli.errors import CliError, ExitCode
from fruxon_cli.options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AgentId,
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    MaxRetries,
    Org,
    Params,
    Timeout,
)

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_requests import FruxonClient

__all__ = ["trace"]

LAST = "last"
#: What a required parameter gets when ``trace --emulator`` runs an agent for you.
SAMPLE_INPUT = "What can you do?"

RecordId = Annotated[
    str | None,
    typer.Argument(
        help="Execution record id (printed at the end of `fruxon run`). With --emulator, "
        "omit it or pass `last` to run the agent first and trace that run.",
        show_default=False,
    ),
]


def trace(
    ctx: typer.Context,
    agent: AgentId,
    record_id: RecordId = None,
    param: Params = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Show an execution: its record and step tree with durations, costs and statuses.

    With --json: {"record": …, "trace": …} as the API returns them.
    """
    from fruxon_cli.params import parse_params
    from fruxon_cli.render.trace_tree import trace_tree

    if record_id == LAST:
        record_id = None
    if record_id is None and not command_options(ctx).emulator:
        raise CliError(
            "missing RECORD_ID: pass the execution record id printed at the end of `fruxon run`",
            ExitCode.USAGE,
        )
    with command_client(ctx) as client:
        if record_id is None:
            record_id = _run_for_trace(client, agent, parse_params(param or []))
        record = client.get_execution_record(agent, record_id)
        envelope = client.get_execution_trace(agent, record_id)
    emit(ctx, {"record": record, "trace": envelope}, lambda: trace_tree(record, envelope))


def _run_for_trace(client: FruxonClient, agent: str, params: dict[str, Any] | None) -> str:
    """Run ``agent`` once (filling missing inputs with a sample question); its record id."""
    from fruxon_cli.render.consoles import error_console
    from fruxon_core.exceptions import ValidationError

    try:
        result = client.execute(agent, parameters=params)
    except ValidationError:
        revision = client.get_agent(agent).current_revision
        names = client.get_agent_parameters(agent, revision=revision) if revision else []
        filled = {**dict.fromkeys(names, SAMPLE_INPUT), **(params or {})}
        result = client.execute(agent, parameters=filled)
    error_console().print(
        f"[dim]Ran {agent} on the emulator to have something to trace "
        f"(record {result.execution_record_id}).[/dim]"
    )
    return result.execution_record_id
