"""``fruxon run AGENT``: one run, streamed by default."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer
from rich.text import Text

from fruxon_cli.connection import connect
from fruxon_cli.options import (
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    Org,
    Params,
    Revision,
    connection_options,
)
from fruxon_cli.params import parse_params
from fruxon_cli.render.consoles import output_console
from fruxon_cli.render.events_json import result_json
from fruxon_cli.render.stream_view import print_summary
from fruxon_cli.runs import RunRequest, execute, stream_ndjson, stream_to_console
from fruxon_cli.state import cli_state

__all__ = ["run"]

Session = Annotated[
    str | None,
    typer.Option(
        "--session",
        "-s",
        help="Continue a conversation (a sessionId from a previous run).",
        show_default=False,
    ),
]
Stream = Annotated[
    bool,
    typer.Option(
        "--stream/--no-stream", help="Stream events as they happen, or wait for the whole result."
    ),
]


def run(
    ctx: typer.Context,
    agent: Annotated[str, typer.Argument(help="Agent id.", show_default=False)],
    param: Params = None,
    stream: Stream = True,
    revision: Revision = None,
    session: Session = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
) -> None:
    """Run an agent: its answer as it is written, tool calls, then duration · cost · record id.

    With --json: the result as one JSON object, or NDJSON events when streaming.
    """
    cli_state(ctx).json_errors = json_output
    parameters = parse_params(param or [], read_stdin=sys.stdin.read)
    request = RunRequest(agent, parameters, session, revision)
    with connect(ctx, connection_options(api_key, org, base_url, header, emulator)) as client:
        if stream and json_output:
            stream_ndjson(client, request)
        elif stream:
            stream_to_console(client, request, output_console())
        else:
            result = execute(client, request)
            if json_output:
                typer.echo(json.dumps(result_json(result), indent=2, ensure_ascii=False))
                return
            console = output_console()
            console.print(Text(result.response))
            print_summary(console, result)
