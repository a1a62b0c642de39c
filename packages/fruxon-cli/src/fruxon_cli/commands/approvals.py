"""``fruxon approvals list | get | approve | reject | cancel``: the human-approval requests paused
runs wait for."""

from __future__ import annotations

from typing import Annotated

import typer

from fruxon_cli.commandline import FruxonCommand, HelpGroup
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
    Reason,
    Timeout,
)

__all__ = ["app"]

app = typer.Typer(
    cls=HelpGroup,
    help="List and answer the approval requests of paused runs.",
    no_args_is_help=True,
)

ApprovalId = Annotated[
    str,
    typer.Argument(
        help="Approval request id (printed when a run pauses, or by `approvals list`).",
        show_default=False,
    ),
]
Status = Annotated[
    list[str] | None,
    typer.Option(
        "--status",
        "-s",
        metavar="STATUS",
        help="PENDING, RESPONDED, CANCELLED or EXPIRED (repeatable).",
        show_default="PENDING",
    ),
]
AnyStatus = Annotated[
    bool, typer.Option("--all", "-a", help="Requests in every status, not only pending ones.")
]
AgentFilter = Annotated[
    str | None,
    typer.Option(
        "--agent", metavar="AGENT", help="Only this agent's requests.", show_default=False
    ),
]


@app.command("list", cls=FruxonCommand)
def list_approvals(
    ctx: typer.Context,
    agent: AgentFilter = None,
    status: Status = None,
    every_status: AnyStatus = False,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """The approval requests waiting for an answer (newest first), across all agents."""
    from fruxon_cli.render.lifecycle import approvals_table

    statuses: list[str] | None = (
        None if every_status else [s.upper() for s in status or ["PENDING"]]
    )
    with command_client(ctx) as client:
        found = client.list_pending_approvals(status=statuses, agent=agent)
    emit(ctx, found, lambda: approvals_table(found))


@app.command("get", cls=FruxonCommand)
def get_approval(
    ctx: typer.Context,
    agent: AgentId,
    approval: ApprovalId,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Show one request: what the agent asks to do, with which arguments, and its status."""
    from fruxon_cli.render.lifecycle import approval_details

    with command_client(ctx) as client:
        found = client.get_approval(agent, approval)
    emit(ctx, found, lambda: approval_details(found))


@app.command("approve", cls=FruxonCommand)
def approve(
    ctx: typer.Context,
    agent: AgentId,
    approval: ApprovalId,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Approve: the paused run goes on (follow it with `fruxon runs wait`)."""
    from fruxon_cli.render.lifecycle import approval_details

    with command_client(ctx) as client:
        answered = client.approve(agent, approval)
    emit(ctx, answered, lambda: approval_details(answered))


@app.command("reject", cls=FruxonCommand)
def reject(
    ctx: typer.Context,
    agent: AgentId,
    approval: ApprovalId,
    reason: Reason = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Reject: the paused run ends REJECTED, with the reason on its record."""
    from fruxon_cli.render.lifecycle import approval_details

    with command_client(ctx) as client:
        answered = client.reject(agent, approval, reason=reason)
    emit(ctx, answered, lambda: approval_details(answered))


@app.command("cancel", cls=FruxonCommand)
def cancel(
    ctx: typer.Context,
    agent: AgentId,
    approval: ApprovalId,
    reason: Reason = None,
    json_output: Json = False,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Withdraw a request without answering it: the paused run ends CANCELLED."""
    from fruxon_cli.render.lifecycle import approval_details

    with command_client(ctx) as client:
        withdrawn = client.cancel_approval(agent, approval, reason=reason)
    emit(ctx, withdrawn, lambda: approval_details(withdrawn))
