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
    Files,
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
    file: Files = None,
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
    else the result as one JSON object; both snake_case. A run that pauses for
    approval in a terminal asks whether to approve it, then shows its final result.
    """
    from fruxon_cli.params import parse_params
    from fruxon_cli.runs import NdjsonWriter, RunRequest, execute, stream_ndjson, with_files

    if stream and json_output:
        from fruxon_cli.render.events_json import start_record
        from fruxon_cli.reporting import PASS_THROUGH, error_record

        out = NdjsonWriter()
        out.write(start_record(agent))
        try:
            parameters = parse_params(param or [], read_stdin=sys.stdin.read)
            with command_client(ctx) as client:
                parameters = with_files(client, parameters, file)
                stream_ndjson(client, RunRequest(agent, parameters, session, revision), out)
        except PASS_THROUGH:
            raise
        except (Exception, KeyboardInterrupt) as error:
            if not out.finished:  # the output always ends with a terminal record
                out.write({"type": "error", **error_record(error, cli_state(ctx))})
            raise
        return

    from fruxon_cli.pause import can_ask, offer_decision
    from fruxon_cli.render.consoles import output_console

    parameters = parse_params(param or [], read_stdin=sys.stdin.read)
    with command_client(ctx) as client:
        request = RunRequest(agent, with_files(client, parameters, file), session, revision)
        if stream:
            from fruxon_cli.runs import stream_to_console

            paused = stream_to_console(client, request, output_console())
        else:
            from fruxon_cli.render.events_json import result_json
            from fruxon_cli.render.stream_view import result_view

            result = execute(client, request)
            emit(ctx, result_json(result, agent), lambda: result_view(result))
            paused = None if json_output else result
        if paused is not None and paused.waiting_for_human and can_ask():
            offer_decision(client, agent, paused, output_console())
