"""``fruxon emulator serve | default-config``: the bundled emulator, via its own CLI."""

from __future__ import annotations

from typing import Annotated

import typer

__all__ = ["app"]

app = typer.Typer(
    help="The bundled Fruxon emulator (a local API for development).", no_args_is_help=True
)


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port; 0 picks a free one.", min=0, max=65535)] = 8787,
    config: Annotated[
        str | None,
        typer.Option(help="TOML config file [default: the shipped agents].", show_default=False),
    ] = None,
    db: Annotated[
        str | None,
        typer.Option(
            help="SQLite file for execution records [default: in memory].", show_default=False
        ),
    ] = None,
) -> None:
    """Serve the emulator in the foreground until Ctrl-C; prints its URL, org and key."""
    argv = ["serve", "--host", host, "--port", str(port)]
    if config:
        argv += ["--config", config]
    if db:
        argv += ["--db", db]
    raise typer.Exit(_emulator_main(argv))


@app.command("default-config")
def default_config() -> None:
    """Print the shipped TOML config (a starting point for --config)."""
    raise typer.Exit(_emulator_main(["default-config"]))


def _emulator_main(argv: list[str]) -> int:
    from fruxon_emulator.cli import main

    return main(argv)
