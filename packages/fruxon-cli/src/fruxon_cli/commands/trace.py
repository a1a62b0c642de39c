"""``fruxon trace AGENT RECORD_ID``: a past execution as a tree of steps.

The in-process emulator of ``--emulator`` starts empty, so there RECORD_ID may
be omitted (or ``last``): the agent is run first and that run is traced.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

import msgspec
import typer

from fruxon_cli.connection import connect
from fruxon_cli.errors import CliError, ExitCode
from fruxon_cli.options import (
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    Org,
    Params,
    connection_options,
)
from fruxon_cli.params import parse_params
from fruxon_cli.render.consoles import error_console, output_console
from fruxon_cli.render.trace_tree import trace_tree
from fruxon_cli.state import cli_state
from fruxon_core.exceptions import ValidationError

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
    agent: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    record_id: RecordId = None,
    param: Params = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """Show an execution: its record and step tree with durations, costs and statuses.

    With --json: {"record": …, "trace": …} as the API returns them.
    """
    state = cli_state(ctx)
    state.json_errors = json_output
    options = connection_options(api_key, org, base_url, header, emulator)
    if record_id == LAST:
        record_id = None
    if record_id is None and not options.over(state.root).emulator:
        raise CliError(
            "missing RECORD_ID: pass the execution record id printed at the end of `fruxon run`",
            ExitCode.USAGE,
        )
    with connect(ctx, options) as client:
        if record_id is None:
            record_id = _run_for_trace(client, agent, parse_params(param or []))
        record = client.get_execution_record(agent, record_id)
        envelope = client.get_execution_trace(agent, record_id)
    if json_output:
        payload = {"record": msgspec.to_builtins(record), "trace": envelope}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        output_console().print(trace_tree(record, envelope), soft_wrap=False)


def _run_for_trace(client: FruxonClient, agent: str, params: dict[str, Any] | None) -> str:
    """Run ``agent`` once (filling missing inputs with a sample question); its record id."""
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
