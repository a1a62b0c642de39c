"""``fruxon emulator serve | default-config``: the bundled emulator, via its own CLI.

Needs the ``fruxon-cli[emulator]`` extra; without it both commands say so and
exit with status 2.
"""

from __future__ import annotations

from typing import Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup

__all__ = ["app"]

app = typer.Typer(
    cls=HelpGroup,
    help="The bundled Fruxon emulator (a local API for development; needs fruxon-cli\\[emulator]).",
    no_args_is_help=True,
)


@app.command("serve", cls=FruxonCommand)
def serve(
    host: Annotated[str, typer.Option(metavar="ADDRESS", help="Bind address.")] = "127.0.0.1",
    port: Annotated[
        int, typer.Option(metavar="PORT", help="Port; 0 picks a free one.", min=0, max=65535)
    ] = 8787,
    config: Annotated[
        str | None,
        typer.Option(metavar="FILE", help="TOML config file.", show_default="the shipped agents"),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            metavar="FILE", help="SQLite file for execution records.", show_default="in memory"
        ),
    ] = None,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C; prints its URL, org and key."""
    argv = ["serve", "--host", host, "--port", str(port)]
    if config:
        argv += ["--config", config]
    if db:
        argv += ["--db", db]
    raise typer.Exit(_emulator_main(argv, "fruxon emulator serve"))


@app.command("default-config", cls=FruxonCommand)
def default_config() -> None:
    """Print the shipped TOML config (a starting point for --config)."""
    raise typer.Exit(_emulator_main(["default-config"], "fruxon emulator default-config"))


def _emulator_main(argv: list[str], what: str) -> int:
    from fruxon_cli.connection import require_emulator

    require_emulator(what)
    from fruxon_emulator.cli import main

    return main(argv)
