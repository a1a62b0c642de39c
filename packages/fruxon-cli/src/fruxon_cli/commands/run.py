"""``fruxon run AGENT``: one run, streamed by default."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from fruxon_cli.connection import command_client, emit
from fruxon_cli.options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AgentId,
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    Json,
    MaxRetries,
    Org,
    Params,
    Revision,
    Timeout,
)
from fruxon_cli.state import cli_state

__all__ = ["Session", "run"]

Session = Annotated[
    str | None,
    typer.Option(
        "--session",
        "-s",
        metavar="ID",
        help="Continue a conversation (a session_id from a previous run).",
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
    agent: AgentId,
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
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Run an agent: its answer as it is written, tool calls, then duration · cost · record id.

    With --json: NDJSON events when streaming (ending with a done or error record),
    else the result as one JSON object; both snake_case.
    """
    from fruxon_cli.params import parse_params
    from fruxon_cli.runs import NdjsonWriter, RunRequest, execute, stream_ndjson

    if stream and json_output:
        from fruxon_cli.render.events_json import start_record
        from fruxon_cli.reporting import PASS_THROUGH, error_record

        out = NdjsonWriter()
        out.write(start_record(agent))
        try:
            parameters = parse_params(param or [], read_stdin=sys.stdin.read)
            with command_client(ctx) as client:
                stream_ndjson(client, RunRequest(agent, parameters, session, revision), out)
        except PASS_THROUGH:
            raise
        except (Exception, KeyboardInterrupt) as error:
            if not out.finished:  # the output always ends with a terminal record
                out.write({"type": "error", **error_record(error, cli_state(ctx))})
            raise
        return

    parameters = parse_params(param or [], read_stdin=sys.stdin.read)
    request = RunRequest(agent, parameters, session, revision)
    with command_client(ctx) as client:
        if stream:
            from fruxon_cli.render.consoles import output_console
            from fruxon_cli.runs import stream_to_console

            stream_to_console(client, request, output_console())
            return
        result = execute(client, request)

    from fruxon_cli.render.events_json import result_json
    from fruxon_cli.render.stream_view import result_view

    emit(ctx, result_json(result, agent), lambda: result_view(result))
