"""Option types shared by several commands (``Annotated`` aliases for Typer).

Every command that talks to the API declares the same connection parameters,
spelled out in its signature with these aliases (Typer reads the signature;
merging signatures with a decorator breaks its positional parsing)::

    def list_tools(
        ctx: typer.Context,
        integration: IntegrationId,
        json_output: Json = False,
        api_key: ApiKey = None,
        org: Org = None,
        base_url: BaseUrl = None,
        header: Headers = None,
        emulator: Emulator = False,
        timeout: Timeout = DEFAULT_TIMEOUT,
        max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
    ) -> None:
        with command_client(ctx) as client:
            ...

:func:`fruxon_cli.connection.command_client` then reads them from the
command's context by the names in :data:`CONNECTION_PARAMETERS`, so the body
never repeats them. Only Typer is imported here: ``fruxon --help`` loads this.
"""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = [
    "CONNECTION_PARAMETERS",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_TIMEOUT",
    "AgentId",
    "ApiKey",
    "BaseUrl",
    "Emulator",
    "Files",
    "Headers",
    "Json",
    "MaxRetries",
    "Org",
    "Params",
    "Reason",
    "RecordId",
    "Revision",
    "Timeout",
]

#: The parameter names (as in ``ctx.params``) of the connection options below.
CONNECTION_PARAMETERS = (
    "api_key",
    "org",
    "base_url",
    "header",
    "emulator",
    "timeout",
    "max_retries",
)
DEFAULT_TIMEOUT = 120.0
DEFAULT_MAX_RETRIES = 2

_CONNECTION = "Connection"

ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        metavar="KEY",
        help="API key.",
        show_default="$FRUXON_API_KEY",
        rich_help_panel=_CONNECTION,
    ),
]
Org = Annotated[
    str | None,
    typer.Option(
        "--org",
        metavar="ORG",
        help="Organization id.",
        show_default="$FRUXON_ORG",
        rich_help_panel=_CONNECTION,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        metavar="URL",
        help="API host.",
        show_default="$FRUXON_BASE_URL, else https://api.fruxon.com",
        rich_help_panel=_CONNECTION,
    ),
]
Headers = Annotated[
    list[str] | None,
    typer.Option(
        "--header",
        metavar="NAME:VALUE",
        help="Extra request header (repeatable), e.g. the emulator's fault header.",
        hidden=True,
    ),
]
Emulator = Annotated[
    bool,
    typer.Option(
        "--emulator",
        help="Start the bundled emulator in-process and run against it (demo key and org; "
        "needs fruxon-cli\\[emulator]).",
        rich_help_panel=_CONNECTION,
    ),
]
Timeout = Annotated[
    float,
    typer.Option(
        "--timeout",
        metavar="SECONDS",
        help="Per-request timeout, and the longest a stream may go without an event.",
        min=0.1,
        rich_help_panel=_CONNECTION,
    ),
]
MaxRetries = Annotated[
    int,
    typer.Option(
        "--max-retries",
        metavar="N",
        help="Retries of failed requests.",
        min=0,
        rich_help_panel=_CONNECTION,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Machine-readable JSON output.")]
Params = Annotated[
    list[str] | None,
    typer.Option(
        "--param",
        "-p",
        metavar="KEY=VALUE",
        help="Parameter: key=value, key:=json, key=@file, key:=@file.json, @file.json "
        "(repeatable; later wins).",
        show_default=False,
    ),
]
Revision = Annotated[
    int | None,
    typer.Option(
        "--revision",
        "-r",
        metavar="N",
        help="A pinned revision instead of the deployed one.",
        show_default=False,
    ),
]
AgentId = Annotated[str, typer.Argument(help="Agent id.", show_default=False)]
Reason = Annotated[
    str | None,
    typer.Option("--reason", metavar="TEXT", help="Why (kept with the run).", show_default=False),
]
RecordId = Annotated[
    str,
    typer.Argument(
        help="Execution record id (printed at the end of `fruxon run`, or by `runs list`).",
        show_default=False,
    ),
]
Files = Annotated[
    list[str] | None,
    typer.Option(
        "--file",
        "-f",
        metavar="NAME=PATH",
        help="Upload PATH and pass its link as parameter NAME (repeatable).",
        show_default=False,
    ),
]
