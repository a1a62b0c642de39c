"""``fruxon integrations list``."""

from __future__ import annotations

import json
from typing import Annotated

import msgspec
import typer

from fruxon_cli.connection import connect
from fruxon_cli.options import ApiKey, BaseUrl, Emulator, Headers, Json, Org, connection_options
from fruxon_cli.render.consoles import output_console
from fruxon_cli.render.tables import integrations_table
from fruxon_cli.state import cli_state

__all__ = ["app"]

app = typer.Typer(help="Integrations: connections to external services.", no_args_is_help=True)


@app.command("list")
def list_integrations(
    ctx: typer.Context,
    search: Annotated[
        str | None, typer.Option("--search", "-q", help="Search text.", show_default=False)
    ] = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """List the organization's integrations."""
    cli_state(ctx).json_errors = json_output
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        integrations = client.list_integrations(search=search)
    if json_output:
        typer.echo(json.dumps(msgspec.to_builtins(integrations), indent=2, ensure_ascii=False))
    else:
        output_console().print(integrations_table(integrations))
