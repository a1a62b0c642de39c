"""Integration routes: list (filters + paging), get, create, update and
`:verifyConfig`, whose failed check is a 200 result, not an error."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from fruxon_emulator.context import RequestContext
from fruxon_emulator.pagination import list_page
from fruxon_emulator.replies import JsonReply
from fruxon_emulator.validation import FieldErrors

__all__ = [
    "create_integration",
    "get_integration",
    "list_integrations",
    "update_integration",
    "verify_integration",
]

_REJECTED_SECRET = "invalid"  # a credential with this value fails :verifyConfig


def _read_integration_fields(errors: FieldErrors, body: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    for name, limit in (("displayName", 100), ("description", 500), ("type", 100)):
        value = errors.optional(body, name, str)
        if value is not None and len(value) > limit:
            errors.add(name, f"must be at most {limit} characters")
        elif value is not None:
            fields[name] = value
    tags = errors.string_list(body, "tags")
    if tags is not None:
        fields["tags"] = tags
    config_metadata = errors.optional(body, "configMetadata", dict)
    if config_metadata is not None:
        fields["configMetadata"] = config_metadata
    return fields


def _matches(item: Mapping[str, Any], ctx: RequestContext) -> bool:
    text = (ctx.query_values("search", "query") or [""])[0].lower()
    haystack = f"{item['id']}\n{item.get('displayName', '')}\n{item.get('description', '')}"
    if text and text not in haystack.lower():
        return False
    types = {value.upper() for value in ctx.query_values("types")}
    if types and str(item.get("type", "")).upper() not in types:
        return False
    tags = ctx.query_values("tags")
    if tags and not set(tags) & set(item.get("tags", [])):
        return False
    metadata = item.get("configMetadata") or {}
    has_configs = bool(metadata.get("parametersMetadata") or metadata.get("authMetadata"))
    return not (ctx.query_values("has_configs", "hasConfigs") == ["true"] and not has_configs)


async def list_integrations(ctx: RequestContext) -> JsonReply:
    items = [item for item in ctx.state.catalog.integrations(ctx.tenant.id) if _matches(item, ctx)]
    return JsonReply(200, list_page(ctx, items))


async def get_integration(ctx: RequestContext) -> JsonReply:
    return JsonReply(200, ctx.state.catalog.integration(ctx.tenant.id, ctx.params["integration"]))


async def create_integration(ctx: RequestContext) -> JsonReply:
    body = ctx.json_body()
    errors = FieldErrors()
    integration_id = errors.required(body, "id", str)
    fields = _read_integration_fields(errors, body)
    errors.raise_if_any()

    async def produce() -> JsonReply:
        now = int(time.time() * 1000)
        resource = {
            "id": integration_id,
            "displayName": integration_id,
            "description": "",
            "type": "CUSTOM",
            "tags": [],
            "configMetadata": {"parametersMetadata": [], "authMetadata": []},
            **fields,
            "createdAt": now,
            "modifiedAt": now,
        }
        return JsonReply(200, dict(ctx.state.catalog.add_integration(ctx.tenant.id, resource)))

    return await ctx.idempotent(produce)


async def update_integration(ctx: RequestContext) -> JsonReply:
    existing = ctx.state.catalog.integration(ctx.tenant.id, ctx.params["integration"])
    errors = FieldErrors()
    fields = _read_integration_fields(errors, ctx.json_body())
    errors.raise_if_any()
    existing.update(fields, modifiedAt=int(time.time() * 1000))
    return JsonReply(200, existing)


def _rejected(values: Mapping[str, Any]) -> str | None:
    for name, value in values.items():
        if isinstance(value, str) and value.lower() == _REJECTED_SECRET:
            return name
    return None


async def verify_integration(ctx: RequestContext) -> JsonReply:
    integration = ctx.state.catalog.integration(ctx.tenant.id, ctx.params["integration"])
    body = ctx.json_body()
    errors = FieldErrors()
    errors.optional(body, "authMetadataId", str)
    auth_config = errors.optional(body, "authConfig", dict) or {}
    parameters = errors.optional(body, "configParameters", dict) or {}
    errors.raise_if_any()
    bad = _rejected(auth_config) or _rejected(parameters)
    oauth = str(auth_config.get("authType", "")).upper() == "O_AUTH2"
    return JsonReply(
        200,
        {
            "success": bad is None,
            "error": f"The service rejected {bad!r}." if bad else "",
            "authorizationUrl": (
                f"https://auth.example.invalid/authorize?integration={integration['id']}"
                if oauth
                else ""
            ),
        },
    )
