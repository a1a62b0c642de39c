"""``fruxon agents list | get AGENT | params AGENT``."""

from __future__ import annotations

import json
from typing import Annotated

import msgspec
import typer

from fruxon_cli.connection import connect
from fruxon_cli.options import (
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    Org,
    Revision,
    connection_options,
)
from fruxon_cli.render.consoles import output_console
from fruxon_cli.render.tables import agent_details, agents_table, parameters_table
from fruxon_cli.state import cli_state

__all__ = ["app"]

app = typer.Typer(help="List and inspect agents.", no_args_is_help=True)

AgentId = Annotated[str, typer.Argument(help="Agent id.", show_default=False)]


@app.command("list")
def list_agents(
    ctx: typer.Context,
    include_disabled: Annotated[
        bool, typer.Option("--all", "-a", help="Include disabled agents.")
    ] = False,
    query: Annotated[
        str | None, typer.Option("--query", "-q", help="Search text.", show_default=False)
    ] = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """List the organization's agents (enabled ones unless --all)."""
    cli_state(ctx).json_errors = json_output
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        agents = client.list_agents(query=query)
    if not include_disabled:
        agents = [agent for agent in agents if agent.enabled]
    if json_output:
        typer.echo(json.dumps(msgspec.to_builtins(agents), indent=2, ensure_ascii=False))
    else:
        output_console().print(agents_table(agents))


@app.command("get")
def get_agent(
    ctx: typer.Context,
    agent: AgentId,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """Show one agent, its parameters and a ready `fruxon run` line."""
    cli_state(ctx).json_errors = json_output
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        found = client.get_agent(agent)
        revision = found.current_revision
        names = client.get_agent_parameters(agent, revision=revision) if revision else None
    if json_output:
        payload = {**msgspec.to_builtins(found), "parameters": names}
        typer.echo(json.dumps(payload, indent=2, ensure_ascii=False))
    else:
        output_console().print(agent_details(found, names))


@app.command("params")
def agent_params(
    ctx: typer.Context,
    agent: AgentId,
    revision: Revision = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """The input parameters of a revision (default: the deployed one) with their schema."""
    cli_state(ctx).json_errors = json_output
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        number = revision or client.get_agent(agent).current_revision
        envelope = client.get_agent_parameter_metadata(agent, revision=number)
    if json_output:
        payload = {
            "agent": agent,
            "revision": number,
            "parameters": [name for name in envelope.parameters if name],
            "metadata": msgspec.to_builtins(envelope.metadata),
        }
        typer.echo(json.dumps(payload, ensure_ascii=False))
    else:
        output_console().print(parameters_table(envelope))
