"""``fruxon agents list | get AGENT | params AGENT``."""

from __future__ import annotations

from typing import Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup
from fruxon_cli.connection import command_client, emit
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
    Revision,
    Timeout,
)

__all__ = ["app"]

app = typer.Typer(cls=HelpGroup, help="List and inspect agents.", no_args_is_help=True)


@app.command("list", cls=FruxonCommand)
def list_agents(
    ctx: typer.Context,
    include_disabled: Annotated[
        bool, typer.Option("--all", "-a", help="Include disabled agents.")
    ] = False,
    query: Annotated[
        str | None,
        typer.Option("--query", "-q", metavar="TEXT", help="Search text.", show_default=False),
    ] = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """List the organization's agents (enabled ones unless --all)."""
    from fruxon_cli.render.tables import agents_table

    with command_client(ctx) as client:
        agents = client.list_agents(query=query)
    if not include_disabled:
        agents = [agent for agent in agents if agent.enabled]
    emit(ctx, agents, lambda: agents_table(agents))


@app.command("get", cls=FruxonCommand)
def get_agent(
    ctx: typer.Context,
    agent: AgentId,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Show one agent, its parameters and a ready `fruxon run` line."""
    import msgspec

    from fruxon_cli.render.tables import agent_details

    with command_client(ctx) as client:
        found = client.get_agent(agent)
        revision = found.current_revision
        names = client.get_agent_parameters(agent, revision=revision) if revision else None
    payload = {**msgspec.to_builtins(found), "parameters": names}
    emit(ctx, payload, lambda: agent_details(found, names))


@app.command("params", cls=FruxonCommand)
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
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """The input parameters of a revision (default: the deployed one) with their schema."""
    from fruxon_cli.render.tables import parameters_table

    with command_client(ctx) as client:
        number = revision or client.get_agent(agent).current_revision
        envelope = client.get_agent_parameter_metadata(agent, revision=number)
    payload = {
        "agent": agent,
        "revision": number,
        "parameters": [name for name in envelope.parameters if name],
        "metadata": envelope.metadata,
    }
    emit(ctx, payload, lambda: parameters_table(envelope))
