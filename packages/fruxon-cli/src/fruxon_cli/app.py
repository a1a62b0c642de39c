"""The ``fruxon`` command: Typer app, root options, and the exit-code mapping.

Every error from a command reaches :class:`FruxonGroup.invoke`, which prints
one line and exits with the code from :mod:`fruxon_cli.errors` — no
traceback unless ``--debug`` or ``FRUXON_DEBUG=1``.

Start-up: ``fruxon --help`` imports Typer, Rich (for the help, without the
Markdown and traceback renderers: :mod:`fruxon_cli.help_renderer`) and the
command modules' signatures, nothing more. The SDK, requests, msgspec, the
emulator and aiohttp load only once a command runs (``tests/cli`` checks it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

import typer

from .commandline import FruxonCommand, HelpGroup
from .commands import (
    agents,
    approvals,
    chat,
    emulator,
    files,
    integrations,
    records,
    run,
    tools,
    trace,
)
from .config import ConnectionOptions
from .errors import CliError
from .options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    MaxRetries,
    Org,
    Timeout,
)
from .state import CliState, cli_state

__all__ = ["app", "main"]


class FruxonGroup(HelpGroup):
    """The root group: maps any failure below it to one line and an exit code."""

    def invoke(self, ctx: Any) -> Any:
        from .reporting import PASS_THROUGH

        try:
            return super().invoke(ctx)
        except PASS_THROUGH:
            raise
        except (Exception, KeyboardInterrupt) as error:
            from .reporting import debug_enabled, report_error

            state = cli_state(ctx)
            if debug_enabled(state) and not isinstance(error, CliError):
                raise
            raise typer.Exit(int(report_error(error, state))) from None


app = typer.Typer(
    cls=FruxonGroup,
    name="fruxon",
    help="Run, chat with and trace Fruxon agents, answer their approvals, move files.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _print_version(value: bool) -> None:
    if value:
        from . import __version__

        typer.echo(f"fruxon-cli {__version__} (the fruxon-py command)")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
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

    Connection options go here or on each command (the command's win); else
    FRUXON_API_KEY, FRUXON_ORG, FRUXON_BASE_URL. --emulator runs against the
    bundled emulator instead.
    """
    ctx.obj = CliState(root=ConnectionOptions.from_context(ctx), debug=debug)


app.command("run", cls=FruxonCommand)(run.run)
app.command("chat", cls=FruxonCommand)(chat.chat)
app.command("trace", cls=FruxonCommand)(trace.trace)
app.add_typer(agents.app, name="agents")
app.add_typer(approvals.app, name="approvals")
app.add_typer(records.app, name="runs")
app.add_typer(files.app, name="files")
app.add_typer(integrations.app, name="integrations")
app.add_typer(tools.app, name="tools")
app.add_typer(emulator.app, name="emulator")


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``fruxon``)."""
    app(args=list(argv) if argv is not None else None, prog_name="fruxon")
