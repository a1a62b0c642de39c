"""``fruxon chat AGENT``: a conversation in the terminal, one streamed run per turn.

Each turn sends the line you typed as the agent's message parameter and the
``sessionId`` of the previous turn, so the agent remembers the conversation.
Ctrl-C stops the reply being written (its stream is closed) and returns to the
prompt; Ctrl-D (end of input) ends the chat with status 0.

Piped input (stdin not a terminal) is read line by line without prompts, so
stdout carries only the replies and their summary lines; when only stdout is
redirected, the prompt goes to stderr.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.text import Text

from fruxon_cli.connection import command_client
from fruxon_cli.errors import CliError, ExitCode, exit_code_for
from fruxon_cli.options import (
    DEFAULT_MAX_RETRIES,
    DEFAULT_TIMEOUT,
    AgentId,
    ApiKey,
    BaseUrl,
    Emulator,
    Headers,
    MaxRetries,
    Org,
    Params,
    Revision,
    Timeout,
)
from fruxon_cli.render.consoles import error_console, output_console
from fruxon_cli.state import cli_state

from .run import Session

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_cli.runs import RunRequest
    from fruxon_requests import FruxonClient

__all__ = ["chat", "discover_input_parameter"]

#: Parameter names that, by convention, carry the user's message.
MESSAGE_NAMES = ("message", "question", "input", "query", "prompt", "text")
_FATAL = frozenset({ExitCode.AUTH, ExitCode.NOT_FOUND})
PROMPT = "you › "

InputParam = Annotated[
    str | None,
    typer.Option(
        "--input-param",
        "-i",
        metavar="NAME",
        help="The parameter your messages are sent as.",
        show_default="the agent's only parameter, or message/question/input/…",
    ),
]


def chat(
    ctx: typer.Context,
    agent: AgentId,
    param: Params = None,
    input_param: InputParam = None,
    revision: Revision = None,
    session: Session = None,
    api_key: ApiKey = None,
    org: Org = None,
    base_url: BaseUrl = None,
    header: Headers = None,
    emulator: Emulator = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    max_retries: MaxRetries = DEFAULT_MAX_RETRIES,
) -> None:
    """Chat with an agent: replies stream in; Ctrl-C stops a reply, Ctrl-D quits.

    -p sets extra parameters sent with every turn.
    """
    from fruxon_cli.params import parse_params
    from fruxon_cli.runs import RunRequest

    fixed = parse_params(param or []) or {}
    with command_client(ctx) as client:
        name = input_param or discover_input_parameter(client, agent, revision, fixed)
        request = RunRequest(agent, fixed, session, revision)
        _converse(ctx, client, request, name)


def discover_input_parameter(
    client: FruxonClient, agent: str, revision: int | None, fixed: Mapping[str, Any]
) -> str:
    """The parameter a chat message goes to, from the revision's parameter names."""
    number = revision or client.get_agent(agent).current_revision
    names = client.get_agent_parameters(agent, revision=number) if number else []
    free = [name for name in names if name not in fixed]
    if len(free) == 1:
        return free[0]
    for name in MESSAGE_NAMES:
        if name in free:
            return name
    if not free:
        return "message"
    raise CliError(
        f"{agent} takes several parameters ({', '.join(free)}); "
        "say which one carries your messages with --input-param",
        ExitCode.USAGE,
    )


def _converse(ctx: typer.Context, client: FruxonClient, request: RunRequest, name: str) -> None:
    from fruxon_cli.runs import RunRequest

    out, err = output_console(), error_console()
    interactive = sys.stdin.isatty()
    if interactive:
        with contextlib.suppress(ImportError):
            import readline  # noqa: F401  (line editing and history for input())
    err.print(
        f"[dim]Chatting with [bold]{request.agent}[/bold] (your messages go to "
        f"'{name}'). Ctrl-C stops a reply, Ctrl-D quits.[/dim]"
    )
    session_id = request.session_id
    while True:
        line = _read_line(out) if interactive else _read_piped_line()
        if line is None:
            return
        if not line.strip():
            continue
        turn = RunRequest(
            request.agent, {**(request.parameters or {}), name: line}, session_id, request.revision
        )
        session_id = _reply(ctx, client, turn, out, err) or session_id


def _read_piped_line() -> str | None:
    """The next line of piped input (no prompt: stdout is for replies); ``None`` at its end."""
    line = sys.stdin.readline()
    return line.rstrip("\r\n") if line else None


def _read_line(console: Console) -> str | None:
    """The next message typed at a terminal; ``None`` at end of input. Ctrl-C re-prompts.

    With stdout on the terminal too, the prompt goes through ``input()`` itself:
    readline then draws it only once the terminal is in its own mode, so a
    Ctrl-D typed as soon as the prompt shows is seen as end of input (printed
    separately, it could be swallowed by the switch from the line discipline to
    readline). With stdout redirected, the prompt is written to stderr instead.
    """
    to_stdout = sys.stdout.isatty()
    while True:
        try:
            if to_stdout:
                return input(PROMPT)
            error_console().print(PROMPT, end="", markup=False, highlight=False)
            return input()
        except EOFError:
            console.print()
            return None
        except KeyboardInterrupt:
            console.print()
            error_console().print("[dim](Ctrl-D to quit)[/dim]")


def _reply(
    ctx: typer.Context, client: FruxonClient, turn: RunRequest, out: Console, err: Console
) -> str | None:
    """Stream one reply; its session id. Failures of one turn do not end the chat."""
    from fruxon_cli.pause import can_ask, offer_decision
    from fruxon_cli.reporting import report_error
    from fruxon_cli.runs import stream_to_console
    from fruxon_core.exceptions import FruxonError

    lead = Text(f"{turn.agent} › ", style="bold magenta")
    try:
        result = stream_to_console(client, turn, out, lead)
        if result is not None and result.waiting_for_human and can_ask():
            offer_decision(client, turn.agent, result, out)
    except KeyboardInterrupt:
        err.print("[dim](reply stopped)[/dim]")
        return None
    except FruxonError as error:
        if exit_code_for(error) in _FATAL:
            raise
        report_error(error, cli_state(ctx))
        return None
    return result.session_id if result is not None else None
