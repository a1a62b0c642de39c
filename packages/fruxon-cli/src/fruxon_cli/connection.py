"""Connection setup, written once for every command: options, client, output.

``with command_client(ctx) as client:`` reads the command's connection flags
from its context (see :mod:`fruxon_cli.options`), merges them over the root
command's, and opens a client -- or starts the bundled emulator first for
``--emulator``. :func:`emit` prints a result as JSON under ``--json`` and as a
Rich renderable otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from .config import ConnectionOptions, Credentials, parse_headers, resolve_credentials
from .errors import CliError, ExitCode
from .state import cli_state

if TYPE_CHECKING:
    from rich.console import RenderableType

    from fruxon_requests import FruxonClient

__all__ = ["command_client", "command_options", "emit", "json_requested", "require_emulator"]

EMULATOR_EXTRA = "fruxon-cli[emulator]"
#: Who the platform records as acting (``X-Fruxon-Actor``), as the official CLI does.
CLI_ACTOR = "cli"


def command_options(ctx: Any) -> ConnectionOptions:
    """The command's connection flags over the root command's."""
    return ConnectionOptions.from_context(ctx).over(cli_state(ctx).root)


def json_requested(ctx: Any) -> bool:
    """Whether the running command was given ``--json``."""
    return bool(ctx.params.get("json_output"))


@contextmanager
def command_client(ctx: Any) -> Iterator[FruxonClient]:
    """A client for this command; with ``--emulator`` one started just for it."""
    options = command_options(ctx)
    state = cli_state(ctx)
    state.connection = options
    headers = parse_headers(options.headers)
    with ExitStack() as stack:
        if options.emulator:
            credentials = _start_emulator(stack)
        else:
            credentials = resolve_credentials(options, os.environ)
        state.secret = credentials.api_key
        # Imported here so that --help, --version and `emulator serve` skip requests.
        from fruxon_requests import FruxonClient

        client = FruxonClient(
            credentials.api_key,
            credentials.org,
            credentials.base_url,
            timeout=options.effective_timeout,
            max_retries=options.effective_max_retries,
            default_headers=headers or None,
            actor=CLI_ACTOR,
        )
        yield stack.enter_context(client)


def emit(ctx: Any, data: Any, human: Callable[[], RenderableType]) -> None:
    """The command's result: ``data`` as indented JSON under ``--json``, else ``human()``.

    ``data`` may hold msgspec Structs (printed with the API's field names).
    """
    if json_requested(ctx):
        import json

        import msgspec
        import typer

        typer.echo(json.dumps(msgspec.to_builtins(data), indent=2, ensure_ascii=False))
    else:
        from .render.consoles import output_console

        output_console().print(human())


def require_emulator(what: str) -> None:
    """Check that ``fruxon_emulator`` imports; else a usage error naming the extra to install."""
    try:
        import fruxon_emulator  # noqa: F401
    except ImportError as exc:
        raise CliError(
            f"{what} needs the bundled emulator, which is not installed: "
            f"pip install '{EMULATOR_EXTRA}' (import failed: {exc})",
            ExitCode.USAGE,
        ) from None


def _start_emulator(stack: ExitStack) -> Credentials:
    # Loaded here: only --emulator pays for aiohttp and the emulator itself.
    require_emulator("--emulator")
    from fruxon_emulator import EmulatorServer

    from .render.consoles import error_console

    server = stack.enter_context(EmulatorServer())
    error_console().print(
        f"[dim]Using the bundled emulator at {server.base_url} (org {server.org})[/dim]"
    )
    return Credentials(api_key=server.api_key, org=server.org, base_url=server.base_url)
