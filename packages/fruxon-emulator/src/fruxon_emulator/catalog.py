"""Integrations and their tools, per tenant, in memory.

Loaded from the config at start; creates and updates live until the process
ends. Lookups raise the 404/409 problems themselves so every route reports a
missing integration or a duplicate id with the same words.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from .config import IntegrationSeed
from .problems import ProblemError

__all__ = ["Catalog", "StoredTool"]


@dataclass
class StoredTool:
    resource: dict[str, Any]
    sample_response: str | None = None


class Catalog:
    def __init__(self, seeds: Sequence[IntegrationSeed]) -> None:
        self._integrations: dict[str, dict[str, dict[str, Any]]] = {}
        self._tools: dict[tuple[str, str], dict[str, StoredTool]] = {}
        for seed in seeds:
            self._integrations.setdefault(seed.tenant, {})[seed.resource["id"]] = copy.deepcopy(
                dict(seed.resource)
            )
            tools = self._tools.setdefault((seed.tenant, seed.resource["id"]), {})
            for tool in seed.tools:
                tools[tool.resource["id"]] = StoredTool(
                    copy.deepcopy(dict(tool.resource)), tool.sample_response
                )

    def integrations(self, tenant: str) -> list[dict[str, Any]]:
        return list(self._integrations.get(tenant, {}).values())

    def integration(self, tenant: str, integration_id: str) -> dict[str, Any]:
        found = self._integrations.get(tenant, {}).get(integration_id)
        if found is None:
            raise ProblemError(404, f"Integration {integration_id!r} not found.")
        return found

    def add_integration(self, tenant: str, resource: dict[str, Any]) -> dict[str, Any]:
        existing = self._integrations.setdefault(tenant, {})
        if resource["id"] in existing:
            raise ProblemError(
                409, f"Integration {resource['id']!r} already exists.", code="already_exists"
            )
        existing[resource["id"]] = resource
        self._tools[(tenant, resource["id"])] = {}
        return resource

    def tools(self, tenant: str, integration_id: str) -> list[dict[str, Any]]:
        self.integration(tenant, integration_id)
        return [tool.resource for tool in self._tools.get((tenant, integration_id), {}).values()]

    def tool(self, tenant: str, integration_id: str, tool_id: str) -> StoredTool:
        self.integration(tenant, integration_id)
        found = self._tools.get((tenant, integration_id), {}).get(tool_id)
        if found is None:
            raise ProblemError(
                404, f"Tool {tool_id!r} not found in integration {integration_id!r}."
            )
        return found

    def add_tool(self, tenant: str, integration_id: str, resource: dict[str, Any]) -> None:
        self.integration(tenant, integration_id)
        tools = self._tools.setdefault((tenant, integration_id), {})
        if resource["id"] in tools:
            raise ProblemError(
                409, f"Tool {resource['id']!r} already exists.", code="already_exists"
            )
        tools[resource["id"]] = StoredTool(resource)

    def delete_tool(self, tenant: str, integration_id: str, tool_id: str) -> None:
        self.tool(tenant, integration_id, tool_id)
        del self._tools[(tenant, integration_id)][tool_id]
