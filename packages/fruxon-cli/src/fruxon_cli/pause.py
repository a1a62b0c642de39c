"""A run that paused for a human, decided in the terminal: approve, reject, or leave it.

``fruxon run`` and ``fruxon chat`` call :func:`offer_decision` when a run ends
waiting for approval and a person is at the keyboard (stdin is a terminal).
It shows what the agent asks to do, asks ``y`` / ``n`` / Enter, answers the
approval request, then waits for the run to end and prints its final output:
the stream of a paused run does not resume, the run goes on on the server.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from rich.console import Console
from rich.text import Text

from fruxon_core.models import ExecutionResult

from .render.consoles import error_console
from .render.formatting import compact_json
from .render.lifecycle import record_line, stored_result_view

if TYPE_CHECKING:  # the client (and requests) load only when a command connects
    from fruxon_requests import FruxonClient

__all__ = ["WAIT_SECONDS", "can_ask", "offer_decision"]

#: How long the CLI waits for a decided run to end.
WAIT_SECONDS = 600.0
QUESTION = "Approve? [y]es, [n]o, Enter to leave it waiting › "
REASON = "Reason (optional) › "

Ask = Callable[[str], str]


def can_ask() -> bool:
    """Whether a person can answer: stdin is a terminal."""
    return sys.stdin.isatty()


def ask_line(prompt: str) -> str:
    """Read one answer; the prompt goes where ``input()`` would draw it, else to stderr.

    End of input or Ctrl-C is an empty answer (leave the run waiting).
    """
    try:
        if sys.stdout.isatty():
            return input(prompt)
        error_console().print(prompt, end="", markup=False, highlight=False)
        return input()
    except (EOFError, KeyboardInterrupt):
        error_console().print()
        return ""


def offer_decision(
    client: FruxonClient,
    agent: str,
    result: ExecutionResult,
    out: Console,
    ask: Ask = ask_line,
) -> bool:
    """Ask whether to approve the paused ``result``, act on it; whether a decision was made."""
    approval = client.get_approval(agent, result)
    out.print(Text(f"  {approval.outbound_message}", style="bold yellow"))
    if approval.tool_key:
        arguments = compact_json(approval.proposed_parameters, 300)
        out.print(Text(f"  {approval.tool_key}({arguments})", style="yellow"))
    answer = ask(QUESTION).strip().lower()
    if answer in ("y", "yes", "a", "approve"):
        client.approve(agent, result)
        out.print(Text("Approved; waiting for the run to finish…", style="dim"))
    elif answer in ("n", "no", "r", "reject"):
        reason = ask(REASON).strip() or None
        client.reject(agent, result, reason=reason)
        out.print(Text("Rejected; waiting for the run to end…", style="dim"))
    else:
        out.print(Text("Left waiting: answer it later with `fruxon approvals`.", style="dim"))
        return False
    record_id = result.execution_record_id
    record = client.wait_for_run_end(agent, record_id, timeout=WAIT_SECONDS)
    if record.status == "COMPLETED":
        out.print(stored_result_view(client.get_execution_result(agent, record_id)))
    out.print(Text(record_line(record), style="dim"))
    return True
