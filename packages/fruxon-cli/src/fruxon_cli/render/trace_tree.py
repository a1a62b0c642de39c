"""An execution as a Rich tree: the record on top, then every step with its
status, type, duration and (for model steps) cost and tokens.

Reads the trace envelope the API returns for an execution record:
``trace.traces[]`` (older payloads: ``trace.steps[]``) with children nested in
``steps[]``.
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from rich.tree import Tree

from fruxon_core.models import ExecutionRecord

from .formatting import compact_json, format_cost, format_ms

__all__ = ["trace_tree"]

_STATUS_STYLES = {
    "SUCCESS": ("✓", "green"),
    "COMPLETED": ("✓", "green"),
    "ERROR": ("✗", "red"),
    "FAILED": ("✗", "red"),
    "CANCELLED": ("✗", "red"),
    "REJECTED": ("✗", "red"),
    "RUNNING": ("…", "yellow"),
    "IN_PROGRESS": ("…", "yellow"),
}
_MAX_DEPTH = 64


def _mark(status: str) -> tuple[str, str]:
    return _STATUS_STYLES.get(status.upper(), ("•", "yellow" if "WAIT" in status.upper() else ""))


def trace_tree(record: ExecutionRecord, envelope: dict[str, Any]) -> Tree:
    trace = envelope.get("trace")
    trace = trace if isinstance(trace, dict) else {}
    status = record.status or str(envelope.get("status") or "")
    icon, style = _mark(status)
    tokens = f"{record.input_tokens}→{record.output_tokens} tokens"
    label = Text.assemble(
        (f"{icon} ", style),
        (record.agent_id or str(trace.get("agentId", "")), "bold"),
        f" r{record.agent_revision or trace.get('agentRevision', 0)}",
        "  ",
        (status or "?", style),
        f"  {format_ms(record.duration_ms)} · {format_cost(record.total_cost)} · {tokens}",
        (f"\nrecord {record.id}", "dim"),
    )
    tree = Tree(label)
    steps = trace.get("traces") or trace.get("steps") or []
    for step in steps if isinstance(steps, list) else []:
        _add_step(tree, step, 0)
    return tree


def _add_step(parent: Tree, step: Any, depth: int) -> None:
    if not isinstance(step, dict):
        return
    node = parent.add(_step_label(step))
    children = step.get("steps")
    if depth < _MAX_DEPTH and isinstance(children, list):
        for child in children:
            _add_step(node, child, depth + 1)


def _number(value: Any) -> float:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else 0.0


def _step_label(step: dict[str, Any]) -> Text:
    status = str(step.get("status") or "")
    icon, style = _mark(status)
    duration = step.get("duration")
    label = Text.assemble(
        (f"{icon} ", style),
        (str(step.get("displayName") or step.get("id") or "step"), "bold"),
        (f"  {step.get('type') or ''}", "dim"),
        f"  {format_ms(duration if isinstance(duration, (int, float)) else None)}",
    )
    if status and status.upper() not in ("SUCCESS", "COMPLETED"):
        label.append(f"  {status}", style)
    label.append(_details(step), "dim")
    error = step.get("error")
    if error:
        label.append(f"\n{error}", "red")
    return label


def _details(step: dict[str, Any]) -> str:
    llm = step.get("llmStepTrace")
    if isinstance(llm, dict):
        cost = _number(llm.get("inputCost")) + _number(llm.get("outputCost"))
        model = f"{llm['model']} " if llm.get("model") else ""
        tokens = f"{int(_number(llm.get('inputTokens')))}→{int(_number(llm.get('outputTokens')))}"
        return f"  {format_cost(cost)} · {model}{tokens} tokens"
    tool = step.get("toolTrace")
    if isinstance(tool, dict):
        info = tool.get("tool")
        name = info.get("name") if isinstance(info, dict) else None
        arguments = tool.get("parameters")
        text = f"  {name or tool.get('displayName') or 'tool'}"
        if arguments:
            text += f"({compact_json(arguments, 60)})"
        result = step.get("result")
        if isinstance(result, dict) and result:
            value = next((v for v in result.values() if v not in (None, "")), None)
            if value is not None:
                text += f" → {compact_json(value, 60)}"
        return text
    return ""
