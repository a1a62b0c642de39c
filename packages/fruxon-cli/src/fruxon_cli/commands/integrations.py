"""``fruxon integrations list``."""

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
    cls=HelpGroup, help="Integrations: connections to external services.", no_args_is_help=True
)


@app.command("list", cls=FruxonCommand)
def list_integrations(
    ctx: typer.Context,
    search: Annotated[
        str | None,
        typer.Option("--search", "-q", metavar="TEXT", help="Search text.", show_default=False),
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
    """List the organization's integrations."""
    from fruxon_cli.render.tables import integrations_table

    with command_client(ctx) as client:
        integrations = client.list_integrations(search=search)
    emit(ctx, integrations, lambda: integrations_table(integrations))
