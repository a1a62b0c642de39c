"""``fruxon files upload PATH | download FILE``: files to hand to agents, and files they wrote."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup
from fruxon_cli.connection import command_client, emit, json_requested
from fruxon_cli.errors import CliError, ExitCode
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
    cls=HelpGroup,
    help="Upload files for agents and download what they wrote.",
    no_args_is_help=True,
)


@app.command("upload", cls=FruxonCommand)
def upload(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(help="The file to upload.", exists=True, dir_okay=False, show_default=False),
    ],
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="The name to store.", show_default="its name"),
    ] = None,
    content_type: Annotated[
        str | None,
        typer.Option(
            "--content-type",
            metavar="TYPE",
            help="Its MIME type.",
            show_default="guessed from the name",
        ),
    ] = None,
    temporary: Annotated[
        bool, typer.Option("--temporary", help="Keep the file for 24 hours only.")
    ] = False,
    link_only: Annotated[
        bool,
        typer.Option(
            "--link", help="Print only the prompt link (<type:id/>), e.g. for -p file=$(...)."
        ),
    ] = False,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Upload a file (streamed from disk) and print its link, to pass to an agent with -p."""
    from fruxon_cli.render.lifecycle import file_link_view

    with command_client(ctx) as client:
        link = client.upload_file(
            path, filename=name, content_type=content_type, temporary=temporary
        )
    if link_only and not json_requested(ctx):
        typer.echo(link.prompt_link)
        return
    emit(ctx, link, lambda: file_link_view(link))


@app.command("download", cls=FruxonCommand)
def download(
    ctx: typer.Context,
    file: Annotated[
        str,
        typer.Argument(help="A file id or a prompt link (<type:id/>).", show_default=False),
    ],
    output: Annotated[
        str | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="Where to write it; - for stdout.",
            show_default="stdout when it is not a terminal",
        ),
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
    """Download a stored file, streamed to a file (replaced only once complete) or to stdout."""
    from rich.text import Text

    to_stdout = output == "-" or (output is None and not sys.stdout.isatty())
    if output is None and not to_stdout:
        raise CliError("say where to write the file: -o FILE (or -o - for stdout)", ExitCode.USAGE)
    if to_stdout and json_requested(ctx):
        raise CliError("--json prints a summary: give -o FILE for the content", ExitCode.USAGE)
    with command_client(ctx) as client:
        if to_stdout:
            stdout = sys.stdout
            stdout.flush()
            size, content_type = client.download_file_to(file, stdout.buffer)
            stdout.buffer.flush()
            return
        assert output is not None
        size, content_type = client.download_file_to(file, Path(output))
    summary = {"path": output, "size": size, "contentType": content_type}
    emit(ctx, summary, lambda: Text(f"Wrote {output}: {size} bytes of {content_type}."))
