"""``fruxon tools list INTEGRATION``."""

from __future__ import annotations

import json
from typing import Annotated

import msgspec
import typer

from fruxon_cli.connection import connect
from fruxon_cli.options import ApiKey, BaseUrl, Emulator, Headers, Json, Org, connection_options
from fruxon_cli.render.consoles import output_console
from fruxon_cli.render.tables import tools_table
from fruxon_cli.state import cli_state

__all__ = ["app"]

app = typer.Typer(help="Tools: the callable capabilities of an integration.", no_args_is_help=True)


@app.command("list")
def list_tools(
    ctx: typer.Context,
    integration: Annotated[str, typer.Argument(help="Integration id.", show_default=False)],
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """List the tools of one integration."""
    cli_state(ctx).json_errors = json_output
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        tools = client.list_tools(integration)
    if json_output:
        typer.echo(json.dumps(msgspec.to_builtins(tools), indent=2, ensure_ascii=False))
    else:
        output_console().print(tools_table(tools))
