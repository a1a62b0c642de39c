"""Running an agent once: streamed to a person, streamed as NDJSON, or blocking.

Shared by ``fruxon run`` (one run), ``fruxon chat`` (one run per turn) and
``fruxon trace --emulator`` (a run to have something to trace).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

from fruxon_core.models import ExecutionResult

from .render.events_json import dumps_line, event_record, start_record
from .render.stream_view import StreamPrinter, print_summary

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_requests import EventStream, FruxonClient

__all__ = ["RunRequest", "execute", "open_stream", "stream_ndjson", "stream_to_console"]


@dataclass(frozen=True)
class RunRequest:
    """What to run: the agent, its inputs, and optionally a session and a revision."""

    agent: str
    parameters: dict[str, Any] | None = None
    session_id: str | None = None
    revision: int | None = None


def open_stream(client: FruxonClient, request: RunRequest) -> EventStream:
    return client.stream(
        request.agent,
        parameters=request.parameters,
        session_id=request.session_id,
        revision=request.revision,
    )


def execute(client: FruxonClient, request: RunRequest) -> ExecutionResult:
    if request.revision is None:
        return client.execute(
            request.agent, parameters=request.parameters, session_id=request.session_id
        )
    return client.execute_revision(
        request.agent,
        revision=request.revision,
        parameters=request.parameters,
        session_id=request.session_id,
    )


def stream_to_console(
    client: FruxonClient, request: RunRequest, console: Console, lead: Text | None = None
) -> ExecutionResult | None:
    """Print the run as it happens, then its summary line; the result once ``done`` came.

    Closing happens whatever stops the loop: the end, an error, or Ctrl-C.
    """
    printer = StreamPrinter(console, lead)
    with open_stream(client, request) as events:
        try:
            for event in events:
                printer.show(event)
        finally:
            printer.end_line()
        result = events.final_result
    if result is not None:
        print_summary(console, result)
    return result


def stream_ndjson(client: FruxonClient, request: RunRequest) -> None:
    """One JSON object per line per event (an ``error`` event is written before it raises)."""
    with open_stream(client, request) as events:
        typer.echo(dumps_line(start_record(request.agent)))
        for event in events:
            record = event_record(event, request.agent)
            if record is not None:
                typer.echo(dumps_line(record))
