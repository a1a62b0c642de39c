"""The ``fruxon`` command: Typer app, root options, and the exit-code mapping.

Every error from a command reaches :class:`FruxonGroup.invoke`, which prints
one line and exits with the code from :mod:`fruxon_cli.errors` — no
traceback unless ``--debug`` or ``FRUXON_DEBUG=1``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from . import __version__
from .commands import agents, chat, emulator, integrations, run, tools, trace
from .config import ConnectionOptions
from .errors import CliError
from .options import ApiKey, BaseUrl, Emulator, Headers, Org
from .reporting import PASS_THROUGH, debug_enabled, report_error
from .state import CliState, cli_state

__all__ = ["app", "main"]


class FruxonGroup(TyperGroup):
    """The root group: maps any failure below it to one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except PASS_THROUGH:
            raise
        except (Exception, KeyboardInterrupt) as error:
            state = cli_state(ctx)
            if debug_enabled(state) and not isinstance(error, CliError):
                raise
            raise typer.Exit(int(report_error(error, state))) from None


app = typer.Typer(
    cls=FruxonGroup,
    name="fruxon",
    help="Run, chat with and trace Fruxon agents from a terminal.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        typer.echo(f"fruxon {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator_flag: Emulator = False,
    timeout: Annotated[
        float, typer.Option("--timeout", help="Per-request timeout in seconds.", min=0.1)
    ] = 120.0,
    max_retries: Annotated[
        int, typer.Option("--max-retries", help="Retries of failed requests.", min=0)
    ] = 2,
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.", hidden=True)] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version",
            "-V",
            callback=_print_version,
            is_eager=True,
            help="Print the version and exit.",
        ),
    ] = False,
) -> None:
    """Run, chat with and trace Fruxon agents from a terminal.

    Credentials: --api-key/--org/--base-url (here or on each command), else
    FRUXON_API_KEY, FRUXON_ORG, FRUXON_BASE_URL. --emulator runs against the
    bundled emulator instead.
    """
    ctx.obj = CliState(
        root=ConnectionOptions(api_key, org, base_url, tuple(header or ()), emulator_flag),
        timeout=timeout,
        max_retries=max_retries,
        debug=debug,
    )


app.command("run")(run.run)
app.command("chat")(chat.chat)
app.command("trace")(trace.trace)
app.add_typer(agents.app, name="agents")
app.add_typer(integrations.app, name="integrations")
app.add_typer(tools.app, name="tools")
app.add_typer(emulator.app, name="emulator")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``fruxon``)."""
    app(args=list(argv) if argv is not None else None, prog_name="fruxon")
