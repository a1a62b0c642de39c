"""``fruxon tools list INTEGRATION``."""

from __future__ import annotations

from typing import Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup
from fruxon_cli.connection import command_client, emit
from fruxon_cli.options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    MaxRetries,
    Org,
    Timeout,
)

__all__ = ["app"]

app = typer.Typer(
    cls=HelpGroup, help="Tools: the callable capabilities of an integration.", no_args_is_help=True
)


@app.command("list", cls=FruxonCommand)
def list_tools(
    ctx: typer.Context,
    integration: Annotated[str, typer.Argument(help="Integration id.", show_default=False)],
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """List the tools of one integration."""
    from fruxon_cli.render.tables import tools_table

    with command_client(ctx) as client:
        tools = client.list_tools(integration)
    emit(ctx, tools, lambda: tools_table(tools))
