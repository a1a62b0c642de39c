"""Agent catalogue routes: list, get, and a revision's entry-point parameters."""

from __future__ import annotations

from typing import Any

from fruxon_emulator.agents import AgentDefinition
from fruxon_emulator.config import SEED_TIMESTAMP_MS
from fruxon_emulator.context import RequestContext
from fruxon_emulator.pagination import list_page
from fruxon_emulator.parameters import parameter_metadata
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply

__all__ = ["agent_resource", "get_agent", "get_agent_parameters", "list_agents", "revision_number"]


def agent_resource(agent: AgentDefinition) -> dict[str, Any]:
    """The Agent resource."""
    return {
        "id": agent.id,
        "displayName": agent.display_name,
        "description": agent.description,
        "enabled": agent.enabled,
        "currentRevision": agent.current_revision,
        "tags": list(agent.tags),
        "networkId": "",
        "type": "AGENT",
        "createdAt": SEED_TIMESTAMP_MS,
        "modifiedAt": SEED_TIMESTAMP_MS,
    }


def revision_number(agent: AgentDefinition, text: str) -> int:
    """A published revision of the agent, or 404."""
    if text.isascii() and text.isdigit() and len(text) < 10 and agent.revision(int(text)):
        return int(text)
    raise ProblemError(404, f"Revision {text!r} of agent {agent.id!r} not found.")


def _matches(agent: AgentDefinition, text: str, tags: list[str]) -> bool:
    haystack = f"{agent.id}\n{agent.display_name}\n{agent.description}".lower()
    if text and text.lower() not in haystack:
        return False
    return not tags or any(tag in agent.tags for tag in tags)


async def list_agents(ctx: RequestContext) -> JsonReply:
    text = (ctx.query_values("query", "search") or [""])[0]
    tags = ctx.query_values("tags")
    agents = [
        agent_resource(agent)
        for agent in ctx.state.config.agents_of(ctx.tenant.id)
        if _matches(agent, text, tags)
    ]
    return JsonReply(200, list_page(ctx, agents))


async def get_agent(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, agent_resource(ctx.agent()))


async def get_agent_parameters(ctx: RequestContext) -> JsonReply:
    agent = ctx.agent()
    revision_number(agent, ctx.params["revision"])
    return JsonReply(
        200,
        {
            "parameters": [spec.name for spec in agent.parameters],
            "metadata": [parameter_metadata(spec, i) for i, spec in enumerate(agent.parameters)],
        },
    )
