"""How a streamed run looks to a person: the text as it arrives, each tool call
and its result on one dim line, and the duration · cost · record id at the end
(or, for a run that paused on a human-approval gate, a line saying so with the
approval request id and the record id)."""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console, Group
from rich.text import Text

from fruxon_core.events import (
    StatusChange,
    StepTrace,
    StreamEvent,
    TextChunk,
    ToolCall,
    ToolResult,
)
from fruxon_core.models import ExecutionResult

from .formatting import approval_line, compact_json, format_ms, summary_line

__all__ = ["StreamPrinter", "print_summary", "result_view", "summary_text"]

_QUIET_STATUSES = frozenset({"", "IN_PROGRESS", "RUNNING", "STARTED", "COMPLETED"})
_FAILED = frozenset({"failed", "error", "cancelled", "timeout"})


class StreamPrinter:
    """Renders the events of one run on ``console``."""

    def __init__(self, console: Console, lead: Text | None = None) -> None:
        self.console = console
        self._lead = lead
        """Written once, just before the first text (chat's ``agent ›``)."""
        self._calls: dict[str, ToolCall] = {}
        self._mid_line = False

    def show(self, event: StreamEvent) -> None:
        payload = event.payload
        if isinstance(payload, TextChunk):
            self._write(payload.chunk)
        elif isinstance(payload, ToolCall):
            self._calls[payload.id] = payload
            self._line(Text(f"  → {payload.name}({_arguments(payload.arguments)})", style="cyan"))
        elif isinstance(payload, ToolResult):
            self._line(self._tool_result(payload))
        elif isinstance(payload, StatusChange) and payload.status.upper() not in _QUIET_STATUSES:
            self._line(Text(f"  [{payload.status}]", style="yellow"))
        elif isinstance(payload, StepTrace) and payload.status.upper() == "ERROR":
            self._line(Text(f"  ✗ {payload.display_name}: {payload.error}", style="red"))

    def end_line(self) -> None:
        """Finish a partly written line of text (before a notice or the prompt)."""
        if self._mid_line:
            self.console.print()
            self._mid_line = False

    def _write(self, chunk: str) -> None:
        if chunk:
            if self._lead is not None:
                self.end_line()
                self.console.print(self._lead, end="")
                self._lead = None
            self.console.print(Text(chunk), end="")
            self._mid_line = not chunk.endswith("\n")

    def _line(self, text: Text) -> None:
        self.end_line()
        self.console.print(text)

    def _tool_result(self, result: ToolResult) -> Text:
        call = self._calls.get(result.id)
        name = call.name if call is not None else result.id
        duration = result.duration_ms
        if duration is None and call is not None and call.start_time and result.end_time:
            duration = result.end_time - call.start_time
        status = result.status or "done"
        style = "red" if status.lower() in _FAILED else "dim"
        timing = f" {format_ms(duration)}" if duration is not None else ""
        return Text(f"  ← {name} {status}{timing}: {compact_json(result.result)}", style=style)


def _arguments(arguments: Any) -> str:
    """``query="reset", limit=3`` for an object; compact JSON for anything else."""
    if isinstance(arguments, dict):
        return compact_json(
            ", ".join(
                f"{key}={json.dumps(value, ensure_ascii=False, default=str)}"
                for key, value in arguments.items()
            )
        )
    return "" if arguments is None else compact_json(arguments)


def summary_text(result: ExecutionResult) -> Text:
    """The closing ``duration · cost · record id`` line, or the approval line of a paused run."""
    if result.waiting_for_human:
        return Text(approval_line(result), style="yellow")
    return Text(summary_line(result.trace, result.execution_record_id), style="dim")


def print_summary(console: Console, result: ExecutionResult) -> None:
    console.print(summary_text(result))


def result_view(result: ExecutionResult) -> Group:
    """A finished (or paused) ``--no-stream`` run: its response, then the summary line."""
    return Group(Text(result.response), summary_text(result))
