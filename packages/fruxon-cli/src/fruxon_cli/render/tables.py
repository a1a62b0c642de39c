"""Tables for agents, integrations and tools, and the detail view of one agent."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from fruxon_core.models import Agent, AgentParameters, Integration, Tool

from .formatting import compact_json

__all__ = ["agent_details", "agents_table", "integrations_table", "parameters_table", "tools_table"]

_MAX_FIXED_WIDTH = 30


def _table(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> Table:
    """The last column (a description) wraps to absorb a narrow terminal; the others keep
    their width on one line, so ids can always be copied whole."""
    table = Table(show_edge=False, header_style="bold", pad_edge=False)
    last = len(columns) - 1
    for index, column in enumerate(columns):
        if index == last and last > 0:
            table.add_column(column, min_width=12)
            continue
        width = max([len(column), *(len(row[index]) for row in rows)])
        table.add_column(column, no_wrap=True, min_width=min(width, _MAX_FIXED_WIDTH))
    for row in rows:
        table.add_row(*row)
    return table


def agents_table(agents: Sequence[Agent]) -> Table:
    rows = [
        (
            agent.id,
            agent.display_name,
            str(agent.current_revision) if agent.current_revision else "-",
            "yes" if agent.enabled else "no",
            ", ".join(agent.tags),
            agent.description,
        )
        for agent in agents
    ]
    return _table(("ID", "Name", "Revision", "Enabled", "Tags", "Description"), rows)


def integrations_table(integrations: Sequence[Integration]) -> Table:
    rows = [
        (item.id, item.display_name, item.type, ", ".join(item.tags), item.description)
        for item in integrations
    ]
    return _table(("ID", "Name", "Type", "Tags", "Description"), rows)


def tools_table(tools: Sequence[Tool]) -> Table:
    rows = [
        (
            tool.id,
            tool.display_name,
            tool.tool_type,
            tool.action_type,
            tool.result_type,
            tool.description,
        )
        for tool in tools
    ]
    return _table(("ID", "Name", "Type", "Action", "Result", "Description"), rows)


def parameters_table(envelope: AgentParameters) -> Table:
    """One row per parameter: its schema where the server sent one, else just the name."""
    described = {item.name: item for item in envelope.metadata if item.name}
    names = envelope.parameters or list(described)
    rows = []
    for name in names:
        item = described.get(name)
        if item is None:
            rows.append((name, "", "", "", ""))
            continue
        default = "" if item.default_value is None else compact_json(item.default_value, 30)
        kind = item.type_name or item.type.lower()
        rows.append((name, kind, "yes" if item.required else "no", default, item.description))
    return _table(("Parameter", "Type", "Required", "Default", "Description"), rows)


def agent_details(agent: Agent, parameters: Sequence[str] | None) -> RenderableType:
    """Key facts of one agent and a ready-to-paste ``fruxon run`` line."""
    facts = Table.grid(padding=(0, 2))
    facts.add_column(style="bold", no_wrap=True)
    facts.add_column(overflow="fold")
    revision = str(agent.current_revision) if agent.current_revision else "none deployed"
    for label, value in (
        ("ID", agent.id),
        ("Name", agent.display_name),
        ("Description", agent.description),
        ("Enabled", "yes" if agent.enabled else "no"),
        ("Revision", revision),
        ("Tags", ", ".join(agent.tags)),
    ):
        facts.add_row(label, value)
    if parameters is not None:
        facts.add_row("Parameters", ", ".join(parameters) or "(none)")
    if not agent.current_revision:
        return facts
    run = " ".join(["fruxon run", agent.id, *(f'-p {name}="…"' for name in parameters or ())])
    return Group(facts, Text(""), Text.assemble(("Run it: ", "dim"), (run, "cyan")))
