"""Small text formats shared by the views: durations, costs, compact JSON."""

from __future__ import annotations

import json
from typing import Any

from fruxon_core.models import ExecutionResult, ExecutionTrace

__all__ = ["approval_line", "compact_json", "format_cost", "format_ms", "summary_line"]


def format_ms(duration: int | float | None) -> str:
    """``1020ms``; ``?`` for unknown or negative durations (steps still running)."""
    if duration is None or duration < 0:
        return "?"
    return f"{int(duration)}ms"


def format_cost(cost: float) -> str:
    return f"${cost:.4f}"


def summary_line(trace: ExecutionTrace, record_id: str) -> str:
    """The line that ends a run: ``1020ms · $0.0004 · <execution record id>``."""
    parts = [f"{trace.duration}ms", format_cost(trace.total_cost)]
    if record_id:
        parts.append(record_id)
    return " · ".join(parts)


def approval_line(result: ExecutionResult) -> str:
    """The line that ends a paused run: what it waits for, the request id, the record id."""
    parts = ["⏸ Waiting for human approval"]
    if result.human_approval_request_id:
        parts.append(f"approval request {result.human_approval_request_id}")
    if result.execution_record_id:
        parts.append(f"record {result.execution_record_id}")
    return " · ".join(parts)


def compact_json(value: Any, limit: int = 100) -> str:
    """One-line JSON, shortened with an ellipsis past ``limit`` characters."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
