"""Views for approval requests, runs (records and their results) and stored files."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fruxon_core.models import ApprovalRequest, ExecutionRecord, ExecutionRecordResult, FileLink

from .formatting import compact_json, format_cost, format_ms
from .tables import _table

__all__ = [
    "approval_details",
    "approvals_table",
    "file_link_view",
    "record_details",
    "record_line",
    "records_table",
    "stored_result_view",
]


def _when(epoch_ms: int | None) -> str:
    """``2026-03-01 12:00:05`` (UTC) for epoch milliseconds; ``-`` for none."""
    if not epoch_ms:
        return "-"
    moment = datetime.datetime.fromtimestamp(epoch_ms / 1000, tz=datetime.timezone.utc)
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def approvals_table(approvals: Sequence[ApprovalRequest]) -> Table:
    rows = [
        (
            item.id,
            item.agent_id,
            item.status,
            item.decision or "-",
            item.tool_key or "-",
            _when(item.created_at),
            item.outbound_message,
        )
        for item in approvals
    ]
    return _table(("ID", "Agent", "Status", "Decision", "Tool", "Created (UTC)", "Message"), rows)


def _facts(rows: Sequence[tuple[str, str]]) -> Table:
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    for label, value in rows:
        facts.add_row(label, value)
    return facts


def approval_details(item: ApprovalRequest) -> RenderableType:
    """Everything an approver needs to decide, then how to answer."""
    facts = _facts(
        [
            ("ID", item.id),
            ("Agent", item.agent_id),
            ("Status", item.status),
            ("Question", item.outbound_message),
            ("Tool", item.tool_key or "-"),
            ("Arguments", compact_json(item.proposed_parameters, 300)),
            ("Approvers", ", ".join(item.authorized_approvers) or "-"),
            ("Created (UTC)", _when(item.created_at)),
            ("Expires (UTC)", _when(item.expires_at) if item.expires_at else "never"),
            ("Decision", item.decision or "-"),
            ("Answered by", item.responded_by or "-"),
            ("Answered (UTC)", _when(item.responded_at)),
        ]
    )
    if not item.is_pending:
        return facts
    answer = f"fruxon approvals approve {item.agent_id} {item.id}"
    return Group(facts, Text(""), Text.assemble(("Answer it: ", "dim"), (answer, "cyan")))


def record_line(record: ExecutionRecord) -> str:
    """``COMPLETED · 1020ms · $0.0004 · <record id>``."""
    parts = [record.status or "?"]
    if record.duration_ms is not None:
        parts.append(format_ms(record.duration_ms))
    parts += [format_cost(record.total_cost), record.id]
    return " · ".join(parts)


def _waiting(record: ExecutionRecord) -> str:
    waiting = record.waiting_for
    if waiting is None:
        return "-"
    who = f" ({waiting.display_name})" if waiting.display_name else ""
    return f"{waiting.kind}{who} {waiting.id}".strip()


def records_table(records: Sequence[ExecutionRecord]) -> Table:
    rows = [
        (
            record.id,
            record.status,
            _when(record.start_time),
            format_ms(record.duration_ms) if record.duration_ms is not None else "-",
            format_cost(record.total_cost),
            str(record.agent_revision),
            _waiting(record),
        )
        for record in records
    ]
    return _table(
        ("ID", "Status", "Started (UTC)", "Duration", "Cost", "Revision", "Waiting for"), rows
    )


def record_details(record: ExecutionRecord) -> RenderableType:
    rows = [
        ("ID", record.id),
        ("Agent", f"{record.agent_id} (revision {record.agent_revision})"),
        ("Status", record.status),
        ("Started (UTC)", _when(record.start_time)),
        ("Ended (UTC)", _when(record.end_time)),
        ("Duration", format_ms(record.duration_ms) if record.duration_ms is not None else "-"),
        ("Cost", format_cost(record.total_cost)),
        ("Tokens", f"{record.input_tokens} in, {record.output_tokens} out"),
        ("Waiting for", _waiting(record)),
    ]
    if record.rejection_reason:
        rows.append(("Rejected", f"{record.rejection_reason}: {record.rejection_detail or ''}"))
    return _facts(rows)


def stored_result_view(stored: ExecutionRecordResult) -> RenderableType:
    """The run's output as text, JSON or a file link (with how to download it)."""
    kind = stored.result.kind
    if kind == "str":
        return Text(stored.result.str_value or "")
    if kind == "json":
        return Text(compact_json(stored.result.json_value, 10_000))
    file = stored.result.file
    if kind == "file" and file is not None:
        hint = f"fruxon files download {file.file_id} -o FILE"
        return Group(
            Text(file.prompt_link), Text.assemble(("Download it: ", "dim"), (hint, "cyan"))
        )
    return Text("(no result yet: the run has not completed)", style="dim")


def file_link_view(link: FileLink) -> RenderableType:
    return _facts(
        [
            ("Name", link.display_name),
            ("File id", link.file_id),
            ("Type", f"{link.file_type} ({link.content_type})"),
            ("Prompt link", link.prompt_link),
        ]
    )
