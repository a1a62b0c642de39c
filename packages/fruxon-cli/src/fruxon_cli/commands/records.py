"""``fruxon runs list | get | result | cancel | wait``: an agent's runs (execution records)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup
from fruxon_cli.connection import command_client, emit
from fruxon_cli.errors import CliError, ExitCode
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
    Reason,
    RecordId,
    Timeout,
)

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_core.models import ExecutionRecord
    from fruxon_requests import FruxonClient

__all__ = ["app"]

app = typer.Typer(
    cls=HelpGroup,
    help="List runs, read their results, stop them, wait for them to end.",
    no_args_is_help=True,
)

DEFAULT_WAIT = 300.0

WaitTimeout = Annotated[
    float,
    typer.Option(
        "--wait-timeout",
        metavar="SECONDS",
        help="Give up waiting after this long.",
        min=0.0,
    ),
]
PollInterval = Annotated[
    float,
    typer.Option(
        "--poll-interval", metavar="SECONDS", help="The longest wait between polls.", min=0.01
    ),
]


@app.command("list", cls=FruxonCommand)
def list_runs(
    ctx: typer.Context,
    agent: AgentId,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            "-s",
            metavar="STATUS",
            help="IN_PROGRESS, WAITING_FOR_ASYNC, COMPLETED, FAILED, CANCELLED, REJECTED "
            "(repeatable).",
            show_default=False,
        ),
    ] = None,
    session: Annotated[
        str | None,
        typer.Option(
            "--session", metavar="ID", help="Only this conversation's runs.", show_default=False
        ),
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", "-n", metavar="N", help="How many runs, newest first.", min=1)
    ] = 20,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """The agent's latest runs: status, start, duration, cost, what a waiting run waits for."""
    import itertools

    from fruxon_cli.render.lifecycle import records_table

    statuses = [s.upper() for s in status] if status else None
    with command_client(ctx) as client:
        runs = client.iter_execution_records(
            agent, status=statuses, session_id=session, page_size=min(limit, 100)
        )
        records = list(itertools.islice(runs, limit))
    emit(ctx, records, lambda: records_table(records))


@app.command("get", cls=FruxonCommand)
def get_run(
    ctx: typer.Context,
    agent: AgentId,
    record_id: RecordId,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """One run's record (`fruxon trace` shows its steps)."""
    from fruxon_cli.render.lifecycle import record_details

    with command_client(ctx) as client:
        record = client.get_execution_record(agent, record_id)
    emit(ctx, record, lambda: record_details(record))


@app.command("result", cls=FruxonCommand)
def run_result(
    ctx: typer.Context,
    agent: AgentId,
    record_id: RecordId,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            metavar="FILE",
            help="When the run produced a file, download it here.",
            show_default=False,
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
    """What a finished run produced: its text, its JSON value, or the file it wrote."""
    from fruxon_cli.render.lifecycle import stored_result_view

    with command_client(ctx) as client:
        stored = client.get_execution_result(agent, record_id)
        file = stored.result.file
        if output is not None:
            if file is None:
                raise CliError(
                    "--output is for runs that produced a file; this one's result is "
                    f"{stored.result.kind or 'not there yet'}",
                    ExitCode.USAGE,
                )
            client.download_file_to(file, output)
    emit(ctx, stored, lambda: stored_result_view(stored))


@app.command("cancel", cls=FruxonCommand)
def cancel_run(
    ctx: typer.Context,
    agent: AgentId,
    record_id: RecordId,
    reason: Reason = None,
    wait: Annotated[
        bool, typer.Option("--wait", help="Then wait until the run has ended.")
    ] = False,
    wait_timeout: WaitTimeout = DEFAULT_WAIT,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Stop a run: a waiting one at once, a running one at its next step."""
    from rich.text import Text

    from fruxon_cli.render.lifecycle import record_line

    with command_client(ctx) as client:
        stopped = client.cancel_run(agent, record_id, reason)
        record = _wait(client, agent, record_id, wait_timeout, 2.0) if wait else None
    said = "stopped" if stopped else "asked to stop"

    def human() -> Text:
        if record is not None:
            return Text(f"Run {said}: {record_line(record)}")
        return Text(f"Run {record_id} {said}.")

    emit(ctx, {"recordId": record_id, "stoppedNow": stopped, "record": record}, human)


@app.command("wait", cls=FruxonCommand)
def wait_for_run(
    ctx: typer.Context,
    agent: AgentId,
    record_id: RecordId,
    wait_timeout: WaitTimeout = DEFAULT_WAIT,
    poll_interval: PollInterval = 2.0,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Wait until a run has ended (COMPLETED, FAILED, CANCELLED or REJECTED) and show how."""
    from rich.text import Text

    from fruxon_cli.render.lifecycle import record_line

    with command_client(ctx) as client:
        record = _wait(client, agent, record_id, wait_timeout, poll_interval)
    emit(ctx, record, lambda: Text(record_line(record)))


def _wait(
    client: FruxonClient, agent: str, record_id: str, limit: float, every: float
) -> ExecutionRecord:
    """``wait_for_run_end``; its deadline is a plain CLI error naming the last status."""
    from fruxon_core.exceptions import FruxonTimeoutError

    try:
        return client.wait_for_run_end(agent, record_id, timeout=limit, poll_interval=every)
    except FruxonTimeoutError as error:
        if error.last_status is None:
            raise
        raise CliError(
            f"run {record_id} did not end within {limit:g}s (last status: {error.last_status}); "
            "wait longer with --wait-timeout",
            ExitCode.GENERIC,
        ) from None
