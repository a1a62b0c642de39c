"""Running an agent once: streamed to a person, streamed as NDJSON, or blocking.

Shared by ``fruxon run`` (one run), ``fruxon chat`` (one run per turn) and
``fruxon trace --emulator`` (a run to have something to trace).

A stream that breaks after it opened -- the connection dropped, or no event
came within the timeout -- raises :class:`StreamInterrupted`, which knows how
many events had arrived: the run may still be going on the server, which the
error message says (a failure before the stream opened is the SDK's own error).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.text import Text

from fruxon_core.events import StreamEvent
from fruxon_core.exceptions import FruxonConnectionError, FruxonTimeoutError
from fruxon_core.models import ExecutionResult

from .errors import StreamInterruptedInfo
from .render.events_json import dumps_line, event_record
from .render.stream_view import StreamPrinter, print_summary

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_requests import EventStream, FruxonClient

__all__ = [
    "NdjsonWriter",
    "RunRequest",
    "StreamInterrupted",
    "execute",
    "open_stream",
    "stream_ndjson",
    "stream_to_console",
    "with_files",
]


@dataclass(frozen=True)
class RunRequest:
    """What to run: the agent, its inputs, and optionally a session and a revision."""

    agent: str
    parameters: dict[str, Any] | None = None
    session_id: str | None = None
    revision: int | None = None


class StreamInterrupted(FruxonConnectionError, StreamInterruptedInfo):
    """A stream broke after ``events`` events, before its terminal event."""

    def __init__(self, agent: str, events: int, cause: FruxonConnectionError) -> None:
        super().__init__(str(cause), request_sent=True)
        self.agent = agent
        self.events = events
        self.timed_out = isinstance(cause, FruxonTimeoutError)


def open_stream(client: FruxonClient, request: RunRequest) -> EventStream:
    return client.stream(
        request.agent,
        parameters=request.parameters,
        session_id=request.session_id,
        revision=request.revision,
    )


def watch(events: EventStream, agent: str) -> Iterator[StreamEvent]:
    """The events of an open stream; a connection failure becomes :class:`StreamInterrupted`."""
    seen = 0
    try:
        for event in events:
            seen += 1
            yield event
    except FruxonConnectionError as error:
        raise StreamInterrupted(agent, seen, error) from error


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
            for event in watch(events, request.agent):
                printer.show(event)
        finally:
            printer.end_line()
        result = events.final_result
    if result is not None:
        print_summary(console, result)
    return result


def with_files(
    client: FruxonClient, parameters: dict[str, Any] | None, files: list[str] | None
) -> dict[str, Any] | None:
    """``parameters`` with each ``--file NAME=PATH`` uploaded and passed as its link.

    A ``FileLink`` parameter value goes to the API as its prompt link (``<type:id/>``).
    """
    if not files:
        return parameters
    from pathlib import Path

    from .errors import CliError, ExitCode
    from .render.consoles import error_console

    merged = dict(parameters or {})
    for item in files:
        name, sep, path = item.partition("=")
        if not sep or not name.strip() or not path:
            raise CliError(f"invalid --file {item!r}: expected NAME=PATH", ExitCode.USAGE)
        if not Path(path).is_file():
            raise CliError(f"invalid --file {item!r}: no such file: {path}", ExitCode.USAGE)
        link = client.upload_file(path)
        error_console().print(f"[dim]Uploaded {path} as {link.prompt_link}[/dim]")
        merged[name.strip()] = link
    return merged


class NdjsonWriter:
    """Writes NDJSON records to stdout and remembers whether a terminal one was written."""

    def __init__(self) -> None:
        self.finished = False

    def write(self, record: dict[str, Any]) -> None:
        typer.echo(dumps_line(record))
        if record.get("type") in ("done", "error"):
            self.finished = True


def stream_ndjson(client: FruxonClient, request: RunRequest, out: NdjsonWriter) -> None:
    """One JSON object per line per event (the stream's ``error`` event is written, then raises)."""
    with open_stream(client, request) as events:
        for event in watch(events, request.agent):
            record = event_record(event, request.agent)
            if record is not None:
                out.write(record)
