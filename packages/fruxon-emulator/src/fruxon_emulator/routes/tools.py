"""Tool routes (integration-scoped): list, get, create, full-replace update,
the `:python` script update, delete, and the `tools:test` / `tools:run`
dry runs. Python scripts are parsed (never executed) to reject bad syntax."""

from __future__ import annotations

import ast
import json
import time
from collections.abc import Mapping
from typing import Any

from fruxon_emulator.context import RequestContext
from fruxon_emulator.pagination import list_page
from fruxon_emulator.problems import ProblemError
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.scripts import render_template
from fruxon_emulator.validation import FieldErrors

__all__ = [
    "create_tool",
    "delete_tool",
    "get_tool",
    "list_tools",
    "replace_tool",
    "replace_tool_script",
    "run_tool",
    "test_tool",
]

_TOOL_TYPES_BY_DESCRIPTOR = {
    "apiTool": "API",
    "predefinedTool": "PREDEFINED",
    "mcpTool": "MCP",
    "codeTool": "PYTHON_SCRIPT",
    "pythonTool": "PYTHON_SCRIPT",
}


def _tool_from_body(
    ctx: RequestContext, body: Mapping[str, Any], tool_id: str | None
) -> dict[str, Any]:
    """A full Tool resource from a create/replace body (400 on bad fields)."""
    errors = FieldErrors()
    tool_id = tool_id or errors.required(body, "id", str)
    descriptor = errors.required(body, "descriptor", dict)
    texts = {
        name: errors.optional(body, name, str)
        for name in ("displayName", "description", "toolType", "actionType", "resultType")
    }
    parameters = errors.optional(body, "parametersMetadata", list)
    is_async = errors.optional(body, "isAsync", bool)
    errors.raise_if_any()
    kind = next((v for k, v in _TOOL_TYPES_BY_DESCRIPTOR.items() if k in descriptor), "API")
    now = int(time.time() * 1000)
    return {
        "id": tool_id,
        "integrationId": ctx.params["integration"],
        "displayName": texts["displayName"] or tool_id,
        "description": texts["description"] or "",
        "toolType": texts["toolType"] or kind,
        "actionType": texts["actionType"] or "UNSPECIFIED",
        "resultType": texts["resultType"] or "STRING",
        "parametersMetadata": parameters or [],
        "descriptor": descriptor,
        "isAsync": bool(is_async),
        "createdAt": now,
        "modifiedAt": now,
    }


async def list_tools(ctx: RequestContext) -> JsonReply:
    tools = ctx.state.catalog.tools(ctx.tenant.id, ctx.params["integration"])
    types = {value.upper() for value in ctx.query_values("types")}
    text = (ctx.query_values("search", "query") or [""])[0].lower()
    selected = [
        tool
        for tool in tools
        if (not types or str(tool.get("toolType", "")).upper() in types)
        and (not text or text in f"{tool['id']}\n{tool.get('displayName', '')}".lower())
    ]
    return JsonReply(200, list_page(ctx, selected))


async def get_tool(ctx: RequestContext) -> JsonReply:
    stored = ctx.state.catalog.tool(ctx.tenant.id, ctx.params["integration"], ctx.params["tool"])
    return JsonReply(200, stored.resource)


async def create_tool(ctx: RequestContext) -> JsonReply:
    ctx.state.catalog.integration(ctx.tenant.id, ctx.params["integration"])
    resource = _tool_from_body(ctx, ctx.json_body(), None)

    async def produce() -> JsonReply:
        ctx.state.catalog.add_tool(ctx.tenant.id, ctx.params["integration"], resource)
        return JsonReply(200, dict(resource))

    return await ctx.idempotent(produce)


async def replace_tool(ctx: RequestContext) -> JsonReply:
    stored = ctx.state.catalog.tool(ctx.tenant.id, ctx.params["integration"], ctx.params["tool"])
    resource = _tool_from_body(ctx, ctx.json_body(), ctx.params["tool"])
    resource["createdAt"] = stored.resource.get("createdAt", resource["createdAt"])
    stored.resource = resource
    return JsonReply(200, resource)


def _script_of(body: Mapping[str, Any]) -> Any:
    descriptor = body.get("descriptor")
    if isinstance(descriptor, Mapping):
        for name in ("codeTool", "pythonTool"):
            code = descriptor.get(name)
            if isinstance(code, Mapping) and "script" in code:
                return code["script"]
    return body.get("script")


def _check_python(script: Any) -> str:
    if not isinstance(script, str) or not script.strip():
        raise ProblemError(400, "A Python tool needs a script.", errors={"script": ["is required"]})
    try:
        ast.parse(script)
    except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
        raise ProblemError(
            400,
            "The Python script does not parse.",
            errors={"script": [f"{type(exc).__name__}: {exc}"]},
        ) from None
    return script


async def replace_tool_script(ctx: RequestContext) -> JsonReply:
    """`PUT …/tools/{tool}:python`: script and schema validated together;
    a 400 leaves the stored tool untouched."""
    stored = ctx.state.catalog.tool(ctx.tenant.id, ctx.params["integration"], ctx.params["tool"])
    body = ctx.json_body()
    errors = FieldErrors()
    parameters = errors.optional(body, "parametersMetadata", list)
    description = errors.optional(body, "description", str)
    errors.raise_if_any()
    script = _check_python(_script_of(body))
    updated = dict(
        stored.resource,
        toolType="PYTHON_SCRIPT",
        modifiedAt=int(time.time() * 1000),
        descriptor={"codeTool": {"language": "PYTHON", "script": script}},
    )
    if parameters is not None:
        updated["parametersMetadata"] = parameters
    if description is not None:
        updated["description"] = description
    stored.resource = updated
    return JsonReply(200, updated)


async def delete_tool(ctx: RequestContext) -> JsonReply:
    ctx.state.catalog.delete_tool(ctx.tenant.id, ctx.params["integration"], ctx.params["tool"])
    return JsonReply(204)


async def test_tool(ctx: RequestContext) -> JsonReply:
    """`tools:test`: dry-run an unsaved tool definition; echoes what it got."""
    ctx.state.catalog.integration(ctx.tenant.id, ctx.params["integration"])
    body = ctx.json_body()
    errors = FieldErrors()
    descriptor = errors.optional(body, "descriptor", dict) or {}
    errors.optional(body, "parametersMetadata", list)
    parameters = errors.optional(body, "parameters", dict) or {}
    errors.optional(body, "configMetadata", dict)
    errors.optional(body, "config", dict)
    errors.raise_if_any()
    code = _script_of(body)
    if code is not None:
        _check_python(code)
    kind = next((v for k, v in _TOOL_TYPES_BY_DESCRIPTOR.items() if k in descriptor), "API")
    echo = {"emulated": True, "toolType": kind, "parameters": parameters}
    return JsonReply(200, {"response": json.dumps(echo)})


async def run_tool(ctx: RequestContext) -> JsonReply:
    """`tools:run` (official 2.0.2 SDK): run a saved tool; configured tools answer their sample."""
    body = ctx.json_body()
    errors = FieldErrors()
    tool_id = errors.required(body, "toolId", str)
    parameters = errors.optional(body, "parameters", dict) or {}
    errors.optional(body, "configId", str)
    errors.raise_if_any()
    stored = ctx.state.catalog.tool(ctx.tenant.id, ctx.params["integration"], tool_id)
    if stored.sample_response is not None:
        return JsonReply(200, {"response": render_template(stored.sample_response, parameters)})
    echo = {"emulated": True, "toolId": tool_id, "parameters": parameters}
    return JsonReply(200, {"response": json.dumps(echo)})
