"""Option types shared by several commands (``Annotated`` aliases for Typer)."""

from __future__ import annotations

from typing import Annotated

import typer

from .config import ENV_API_KEY, ENV_BASE_URL, ENV_ORG, ConnectionOptions

__all__ = [
    "ApiKey",
    "BaseUrl",
    "Emulator",
    "Headers",
    "Json",
    "Org",
    "Params",
    "Revision",
    "connection_options",
]

_CONNECTION = "Connection"

ApiKey = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        help=f"API key (default: ${ENV_API_KEY}).",
        show_default=False,
        rich_help_panel=_CONNECTION,
    ),
]
Org = Annotated[
    str | None,
    typer.Option(
        "--org",
        help=f"Organization id (default: ${ENV_ORG}).",
        show_default=False,
        rich_help_panel=_CONNECTION,
    ),
]
BaseUrl = Annotated[
    str | None,
    typer.Option(
        "--base-url",
        help=f"API host (default: ${ENV_BASE_URL}, else https://api.fruxon.com).",
        show_default=False,
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
        help="Start the bundled emulator in-process and run against it (demo key and org).",
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
        help="A pinned revision instead of the deployed one.",
        show_default=False,
    ),
]


def connection_options(
    api_key: str | None,
    org: str | None,
    base_url: str | None,
    headers: list[str] | None,
    emulator: bool,
) -> ConnectionOptions:
    """The connection flags of one command, as a value."""
    return ConnectionOptions(api_key, org, base_url, tuple(headers or ()), emulator)
